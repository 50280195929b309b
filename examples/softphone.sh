#!/usr/bin/env bash
# softphone.sh NAME EXTENSION PASSWORD PORT [SWITCH]
#
# Starts a headless baresip softphone registered to dialtone, for trying the
# switch on a machine without a sound card: it "says" a 440 Hz tone (a WAV
# made with sox), plays what it hears to ALSA's null device, and reads
# commands typed on its standard input:
#   /dial 1002        call bob (or an E.164 number, out through the trunk)
#   /accept           answer the call that is ringing
#   /hangup           hang up
#   /quit             stop the phone
# PORT is the phone's SIP port; baresip also takes PORT+1, so give a second
# phone a port two higher. SWITCH is the switch's SIP address
# (default 127.0.0.1:5060, the demo config's). The phone's files live in
# $PHONES/NAME (default ~/.dialtone-phones/NAME).
set -euo pipefail
if [ $# -lt 4 ]; then
	sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
name=$1 ext=$2 password=$3 port=$4 switch=${5:-127.0.0.1:5060}
dir=${PHONES:-$HOME/.dialtone-phones}/$name
mkdir -p "$dir"
cd "$dir"
[ -f tone.wav ] || sox -n -r 8000 -c 1 -b 16 -e signed-integer tone.wav synth 600 sine 440 vol 0.5
cat > config <<CONFIG
poll_method		epoll
module_path		/usr/lib/baresip/modules
net_interface		127.0.0.1
sip_listen		127.0.0.1:$port
audio_player		alsa,null
audio_alert		alsa,null
audio_source		aufile,$dir/tone.wav
audio_path		/usr/share/baresip
rtp_ports		$((port * 4 % 20000 + 30000))-$((port * 4 % 20000 + 30003))
module			g711.so
module			aufile.so
module			alsa.so
module			stdio.so
module_tmp		account.so
module_app		menu.so
CONFIG
echo "<sip:$ext@$switch;transport=udp>;auth_pass=$password;regint=600" > accounts
: > contacts
# ALSA complains about the missing sound card on stderr even when told to
# use its null device; nothing it says there matters to a phone without one.
exec baresip -f . 2> >(grep -v '^ALSA lib' >&2)
