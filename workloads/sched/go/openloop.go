// openloop.go — Go twin of workloads/net/open_loop.c: echo requests at a
// fixed offered rate (wrk2), request k due at t0 + k/rate and taken by
// connection k mod conns, latency measured from the time it was due.
package main

import (
	"net"
	"runtime"
	"sync"
	"time"
)

func openLoopRun(c *runCtx) int {
	conns, requests, msgSize := c.paramI("conns"), c.paramI("requests"), c.paramI("msg_size")
	rate := c.paramF("rate")
	if conns < 1 || conns > 4096 || requests < 0 || !(rate >= 1 && rate <= 1e8) || msgSize < 8 || msgSize > 65536 {
		return c.fail(statusUsage, "open-loop: need 1 <= conns <= 4096, requests >= 0, 1 <= rate <= 1e8 "+
			"(requests/s), 8 <= msg_size <= 65536")
	}
	before := openSockets()
	if s := c.raiseFdLimit("open-loop", uint64(2*conns+64)); s != statusOK {
		return s
	}
	l, err := listenLoopback()
	if err != nil {
		return c.fail(statusError, "open-loop: loopback listener: %v", err)
	}
	var nerr netError
	hists := make([]*latHist, conns)
	var span time.Duration
	runtime.GOMAXPROCS(c.threads)
	{
		var server, clients sync.WaitGroup
		server.Add(1)
		go func() {
			acceptor(l, conns, &server, &nerr, serveEcho(&nerr))
			server.Done()
		}()
		// Connect every client first, then time the load.
		var dialed []net.Conn
		for i := int64(0); i < conns; i++ {
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				nerr.fail(statusError, "open-loop: connection %d: connect: %v", i, err)
				break
			}
			dialed = append(dialed, conn)
		}
		c.timerStart()
		t0 := time.Now()
		clients.Add(len(dialed))
		for i, conn := range dialed {
			hists[i] = newLatHist()
			go func(index int64, conn net.Conn, h *latHist) {
				defer clients.Done()
				defer conn.Close()
				out, in := make([]byte, msgSize), make([]byte, msgSize)
				for k := index; k < requests; k += conns {
					due := t0.Add(time.Duration(float64(k) * 1e9 / rate))
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
					fillMessage(out, uint64(index), uint64(k))
					if !echoRequest(conn, out, in, &nerr, "open-loop", index) {
						return
					}
					if late := time.Since(due); late > 0 {
						h.record(uint64(late))
					} else {
						h.record(0)
					}
				}
			}(int64(i), conn, hists[i])
		}
		clients.Wait()
		span = time.Since(t0)
		c.timerStop()
		l.Close() // wakes the acceptor if a client never connected
		server.Wait()
	}
	if s := nerr.result(c); s != statusOK {
		return s
	}
	all := newLatHist()
	for _, h := range hists {
		if h != nil {
			all.merge(h)
		}
	}
	c.count(all.count)
	c.reportHist("lat", all)
	c.report("offered_rps", rate)
	if span > 0 {
		c.report("achieved_rps", float64(all.count)/span.Seconds())
	}
	return c.checkNoLeak("open-loop", before)
}

func init() { workloads["open-loop"] = openLoopRun }
