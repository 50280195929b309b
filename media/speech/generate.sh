#!/usr/bin/env bash
# Regenerates the spoken prompts embedded in the media package: each
# phrase spoken by espeak-ng, resampled to 8 kHz mono 16-bit PCM (what
# media.LoadPrompt reads), silence trimmed at both ends.
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox).
set -euo pipefail
cd "$(dirname "$0")"
say() { # say NAME "TEXT"
	espeak-ng -s 150 -w "/tmp/speech-$$.wav" "$2"
	sox "/tmp/speech-$$.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1.wav" \
		silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
	rm -f "/tmp/speech-$$.wav"
}
numbers=(zero one two three four five six seven eight nine ten eleven twelve thirteen
	fourteen fifteen sixteen seventeen eighteen nineteen twenty)
for i in "${!numbers[@]}"; do say "$i" "${numbers[$i]}"; done
say many "many"
say you-have "You have"
say no "no"
say new-message "new message"
say new-messages "new messages"
say saved-message "saved message"
say saved-messages "saved messages"
say and "and"
say deleted "Message deleted."
say saved "Message saved."
say end "End of messages."
