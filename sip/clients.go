package sip

import (
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
)

// newClients builds the clients requests leave through. The UDP one sends
// from the UDP listener itself (sipgo finds it in its pool by the local
// address), so responses come back to the socket with the large receive
// buffer and the address in Via and Contact; a client without an address
// would open an ephemeral socket with the kernel's default buffer, which
// drops responses at high call rates and sets off retransmissions. The TCP
// client must not be bound to the listener's port: it reuses the peer's
// connection or opens one from an ephemeral port, as TCP does.
func (sw *Switch) newClients(host string) error {
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(host), sipgo.WithClientLogger(sw.log)}
	var err error
	if sw.tcpCli, err = sipgo.NewClient(sw.ua, opts...); err != nil {
		return fmt.Errorf("new tcp client: %w", err)
	}
	if addr := sw.addrs["udp"]; addr != "" {
		opts = append(opts, sipgo.WithClientConnectionAddr(addr))
	}
	if sw.cli, err = sipgo.NewClient(sw.ua, opts...); err != nil {
		return fmt.Errorf("new udp client: %w", err)
	}
	return nil
}

// client is the client for requests over a transport ("udp", "tcp", any
// case); anything but TCP goes over UDP.
func (sw *Switch) client(transport string) *sipgo.Client {
	if strings.EqualFold(transport, "tcp") {
		return sw.tcpCli
	}
	return sw.cli
}

// awaitServing waits until sipgo serves the listener at addr (it adds it
// to its connection pool in the serving goroutine): until then a request
// sent from that address would try to bind it again and fail.
func awaitServing(ua *sipgo.UserAgent, network, addr string) error {
	pool := ua.TransportLayer().Pool(network)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if pool.Get(addr) != nil {
			return nil
		}
	}
	return fmt.Errorf("%s listener %s not served after 2s", network, addr)
}
