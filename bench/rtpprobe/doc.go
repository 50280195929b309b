// Command rtpprobe measures RTP round-trip times for bench/media_load.sh.
//
// It sends G.711-sized RTP packets every 20 ms on a few streams, each
// carrying its send time, and times the echoes that come back:
//
//   - direct streams go straight to a sipp uas's -rtp_echo port (-echo);
//   - with -switch, as many switched streams each place a call through the
//     switch (SIP over UDP, digest auth, to -to, which routes to the trunk
//     where that sipp uas answers) and send to the port in the switch's
//     answer: switch, sipp echo, switch, back. A switched packet passes
//     through the relay twice.
//
// The calls are placed first; sending starts -delay after the probe starts
// and lasts -duration. A direct and a switched stream are paired and send
// on the same tick, so both paths are measured under the same load at the
// same moments. The result is one line per path on stdout, round trips in
// microseconds (nearest-rank percentiles):
//
//	direct sent=1000 received=1000 p50_us=85 p99_us=420 max_us=900
//	switched sent=1000 received=1000 p50_us=160 p99_us=700 max_us=1500
//
// It is a load-run tool, not part of the switch and not a test: it imports
// no dialtone package (sipgo for its calls, pion/rtp and pion/sdp for the
// packets and the answer's address), nothing imports it, and
// bench/media_load.sh builds it and runs it while its N calls are up
// (the README's Performance section reads its lines as rtt-dir, rtt-sw
// and added).
//
// # Why a direct path
//
// A switched round trip also passes through sipp's echo and shares the
// machine with the load. The direct streams measure the same echo, under
// the same load, at the same moments, without the switch, so rtt-sw minus
// rtt-dir is what the switch adds (two passes through its relay). The pairs' tickers are spread over the
// 20 ms and the pair's two streams alternate going first, so neither path
// is always served first.
//
// # What it does not do
//
// It does not check the audio (the payload is u-law silence after the
// send time) and it sends no RTCP. A call that fails is logged and left
// out: the probe measures with the calls that did go through. Packets
// that do not come back count in sent but not received; the percentiles
// are over the echoes received.
//
// # Use
//
//	rtpprobe -echo 127.0.0.1:6000 -switch 127.0.0.1:5060 -streams 4 -delay 2s -duration 5s
//
// -to, -user and -password say what the switched calls dial and how they
// authenticate (the demo config's alice and its trunk by default).
package main
