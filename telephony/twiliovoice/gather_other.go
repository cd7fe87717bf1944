//go:build !linux

package twiliovoice

import "net"

// gather does nothing here: only Linux's TCP wakes the poller by
// SO_RCVLOWAT. Quiet calls' reads still wait for the clock.
func gather(net.Conn, int) {}
