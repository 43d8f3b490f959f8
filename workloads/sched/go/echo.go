// echo.go — Go twin of workloads/net/echo.c: conns client goroutines each
// send requests messages of msg_size bytes over loopback TCP, one at a
// time, to an echo server with a goroutine per connection.
package main

import (
	"net"
	"sync"
	"time"
)

func echoRun(c *runCtx) int {
	conns, requests, msgSize := c.paramI("conns"), c.paramI("requests"), c.paramI("msg_size")
	if conns < 1 || conns > 4096 || requests < 0 || msgSize < 8 || msgSize > 65536 {
		return c.fail(statusUsage, "echo: need 1 <= conns <= 4096, requests >= 0, 8 <= msg_size <= 65536")
	}
	before := openSockets()
	if s := c.raiseFdLimit("echo", uint64(2*conns+64)); s != statusOK {
		return s
	}
	l, err := listenLoopback()
	if err != nil {
		return c.fail(statusError, "echo: loopback listener: %v", err)
	}
	var nerr netError
	hists := make([]*latHist, conns)
	c.run(c.threads, func() {
		var server, clients sync.WaitGroup
		server.Add(1)
		go func() {
			acceptor(l, conns, &server, &nerr, serveEcho(&nerr))
			server.Done()
		}()
		clients.Add(int(conns))
		for i := int64(0); i < conns; i++ {
			hists[i] = newLatHist()
			go func(index int64, h *latHist) {
				defer clients.Done()
				conn, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					nerr.fail(statusError, "echo: connection %d: connect: %v", index, err)
					return
				}
				defer conn.Close()
				out, in := make([]byte, msgSize), make([]byte, msgSize)
				for seq := int64(0); seq < requests; seq++ {
					fillMessage(out, uint64(index), uint64(seq))
					t0 := time.Now()
					if !echoRequest(conn, out, in, &nerr, "echo", index) {
						return
					}
					h.record(uint64(time.Since(t0)))
				}
			}(i, hists[i])
		}
		clients.Wait()
		l.Close() // wakes the acceptor if a client never connected
		server.Wait()
	})
	if s := nerr.result(c); s != statusOK {
		return s
	}
	all := newLatHist()
	for _, h := range hists {
		all.merge(h)
	}
	c.count(all.count)
	c.reportHist("lat", all)
	return c.checkNoLeak("echo", before)
}

func init() { workloads["echo"] = echoRun }
