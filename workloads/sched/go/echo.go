// echo.go — Go twin of workloads/net/echo.c: conns client goroutines each
// send requests messages of msg_size bytes over loopback TCP, one at a
// time, to an echo server with a goroutine per connection.
package main

import (
	"net"
	"time"
)

func echoRun(c *runCtx) int {
	conns, requests, msgSize := c.paramI("conns"), c.paramI("requests"), c.paramI("msg_size")
	if conns < 1 || conns > 4096 || requests < 0 || msgSize < 8 || msgSize > 65536 {
		return c.fail(statusUsage, "echo: need 1 <= conns <= 4096, requests >= 0, 8 <= msg_size <= 65536")
	}
	return closedLoop(c, "echo", conns, serveEcho, func(index int64, conn net.Conn, h *latHist, nerr *netError) {
		out, in := make([]byte, msgSize), make([]byte, msgSize)
		for seq := int64(0); seq < requests; seq++ {
			fillMessage(out, uint64(index), uint64(seq))
			t0 := time.Now()
			if !echoRequest(conn, out, in, nerr, "echo", index) {
				return
			}
			h.record(uint64(time.Since(t0)))
		}
	})
}

func init() { workloads["echo"] = echoRun }
