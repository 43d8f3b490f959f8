// idleconns.go — Go twin of workloads/net/idle_conns.c: conns open
// loopback connections, each with a server goroutine parked in a read, and
// a rare request on a random one every gap_us; RSS per parked connection
// and the wake-up latency.
package main

import (
	"net"
	"runtime"
	"sync"
	"time"
)

func idleConnsRun(c *runCtx) int {
	conns, wakeups := c.paramI("conns"), c.paramI("wakeups")
	gapUS, msgSize := c.paramI("gap_us"), c.paramI("msg_size")
	if conns < 1 || conns > 1000000 || wakeups < 0 || gapUS < 0 || gapUS > 1000000 || msgSize < 8 || msgSize > 65536 {
		return c.fail(statusUsage, "idle-conns: need 1 <= conns <= 1e6, wakeups >= 0, 0 <= gap_us <= 1e6, "+
			"8 <= msg_size <= 65536")
	}
	before := openSockets()
	if s := c.raiseFdLimit("idle-conns", uint64(2*conns+64)); s != statusOK {
		return s
	}
	l, err := listenLoopback()
	if err != nil {
		return c.fail(statusError, "idle-conns: loopback listener: %v", err)
	}
	var nerr netError
	hist := newLatHist()
	var rssBefore, rssAfter int64
	runtime.GOMAXPROCS(c.threads)
	{
		rssBefore = rssKB()
		var server sync.WaitGroup
		server.Add(1)
		go func() {
			acceptor(l, conns, &server, &nerr, serveEcho(&nerr))
			server.Done()
		}()
		dialed := make([]net.Conn, 0, conns)
		for i := int64(0); i < conns; i++ {
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				nerr.fail(statusError, "idle-conns: connection %d: connect: %v", i, err)
				break
			}
			dialed = append(dialed, conn)
		}
		out, in := make([]byte, msgSize), make([]byte, msgSize)
		// One round trip each: every server goroutine has run and is parked.
		ok := int64(len(dialed)) == conns
		for i := 0; ok && i < len(dialed); i++ {
			fillMessage(out, uint64(i), 0)
			ok = echoRequest(dialed[i], out, in, &nerr, "idle-conns", int64(i))
		}
		rssAfter = rssKB()
		r := newRng(c.seed)
		gap := time.Duration(gapUS) * time.Microsecond
		c.timerStart()
		for k := int64(1); ok && k <= wakeups; k++ {
			time.Sleep(gap)
			i := int64(r.below(uint64(conns)))
			fillMessage(out, uint64(i), uint64(k))
			t0 := time.Now()
			if ok = echoRequest(dialed[i], out, in, &nerr, "idle-conns", i); ok {
				hist.record(uint64(time.Since(t0)))
			}
		}
		c.timerStop()
		for _, conn := range dialed {
			conn.Close()
		}
		l.Close() // wakes the acceptor if a client never connected
		server.Wait()
	}
	if s := nerr.result(c); s != statusOK {
		return s
	}
	c.count(hist.count)
	c.reportHist("lat", hist)
	if rssBefore >= 0 && rssAfter >= 0 {
		c.report("rss_per_conn_bytes", float64(rssAfter-rssBefore)*1024/float64(conns))
	}
	return c.checkNoLeak("idle-conns", before)
}

func init() { workloads["idle-conns"] = idleConnsRun }
