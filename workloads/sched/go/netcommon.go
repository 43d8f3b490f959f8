// netcommon.go — what the Go twins of the server workloads share
// (workloads/net/net_common.c): a loopback listener, the acceptor with one
// goroutine per connection, the echo server, the message pattern, the
// latency histogram and its quantile ladder, the socket-leak check, and the
// closed-loop run echo and rpc share (closedLoop, as C's nw_bench).
//
// The histogram has common/hist.c's bucket layout (64 sub-buckets per power
// of two, values below 64 exact) and its quantile rule, so the C and Go
// columns are read off the same grid; the Go worker cannot link the C one
// (CGO_ENABLED=0).
package main

import (
	"fmt"
	"io"
	"math/bits"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
)

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histBuckets = histSub + (64-histSubBits)*histSub
)

type latHist struct {
	count, sum, min, max uint64
	buckets              [histBuckets]uint64
}

func newLatHist() *latHist { return &latHist{min: ^uint64(0)} }

func histBucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	exp := 63 - bits.LeadingZeros64(v)
	shift := exp - histSubBits
	sub := (v >> shift) & (histSub - 1)
	return histSub + shift*histSub + int(sub)
}

func histBucketUpper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	shift := (i - histSub) / histSub
	sub := uint64((i - histSub) % histSub)
	return (histSub+sub)<<shift + (1 << shift) - 1
}

func (h *latHist) record(v uint64) {
	h.buckets[histBucketOf(v)]++
	h.count++
	h.sum += v
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

func (h *latHist) merge(o *latHist) {
	if o.count == 0 {
		return
	}
	for i := range h.buckets {
		h.buckets[i] += o.buckets[i]
	}
	h.count += o.count
	h.sum += o.sum
	if o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile is asb_hist_quantile: the upper bound of the bucket holding the
// ceil(q·count)-th sample, clamped to [min, max].
func (h *latHist) quantile(q float64) uint64 {
	if h.count == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	want := q * float64(h.count)
	rank := uint64(want)
	if float64(rank) < want {
		rank++
	}
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, n := range h.buckets {
		seen += n
		if seen >= rank {
			v := histBucketUpper(i)
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return v
		}
	}
	return h.max
}

// reportHist is nw_report_hist: PREFIX_p50_ns … PREFIX_max_ns, PREFIX_mean_ns.
func (c *runCtx) reportHist(prefix string, h *latHist) {
	if h.count == 0 {
		return
	}
	ladder := []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p75", 0.75}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"p9999", 0.9999}, {"max", 1}}
	for _, l := range ladder {
		c.report(prefix+"_"+l.name+"_ns", float64(h.quantile(l.q)))
	}
	c.report(prefix+"_mean_ns", float64(h.sum)/float64(h.count))
}

// netError keeps the first failure of a run (nw_error).
type netError struct {
	once   sync.Once
	status int
	msg    string
}

func (e *netError) fail(status int, format string, args ...any) {
	e.once.Do(func() { e.status, e.msg = status, fmt.Sprintf(format, args...) })
}

// result hands the recorded failure to the context, or statusOK.
func (e *netError) result(c *runCtx) int {
	if e.status == statusOK {
		return statusOK
	}
	return c.fail(e.status, "%s", e.msg)
}

func listenLoopback() (*net.TCPListener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return l.(*net.TCPListener), nil
}

// acceptor is nw_acceptor: take conns connections, serve each on its own
// goroutine, close it after; wg counts every serving goroutine.
func acceptor(l *net.TCPListener, conns int64, wg *sync.WaitGroup, nerr *netError, serve func(net.Conn)) {
	for i := int64(0); i < conns; i++ {
		conn, err := l.Accept()
		if err != nil {
			nerr.fail(statusError, "server: accept of connection %d: %v", i, err)
			return
		}
		wg.Add(1)
		go func() {
			serve(conn)
			conn.Close()
			wg.Done()
		}()
	}
}

// serveEcho writes back whatever arrives until the client closes.
func serveEcho(nerr *netError) func(net.Conn) {
	return func(conn net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if n > 0 {
				if _, werr := conn.Write(buf[:n]); werr != nil {
					nerr.fail(statusError, "echo server: write on a connection: %v", werr)
					return
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				nerr.fail(statusError, "echo server: read on a connection: %v", err)
				return
			}
		}
	}
}

// fillMessage is nw_fill_message.
func fillMessage(buf []byte, conn, seq uint64) {
	for i := range buf {
		buf[i] = byte(conn*131 + uint64(i)*7 + 1)
	}
	for i := 0; i < 8 && i < len(buf); i++ {
		buf[i] = byte(seq >> (8 * i))
	}
}

// echoRequest is nw_echo_request: write out, read the echo, compare.
func echoRequest(conn net.Conn, out, in []byte, nerr *netError, workload string, index int64) bool {
	if _, err := conn.Write(out); err != nil {
		nerr.fail(statusError, "%s: connection %d: write: %v", workload, index, err)
		return false
	}
	if _, err := io.ReadFull(conn, in); err != nil {
		nerr.fail(statusError, "%s: connection %d: read: %v", workload, index, err)
		return false
	}
	for i := range out {
		if out[i] != in[i] {
			nerr.fail(statusVerifyFailed, "%s: connection %d: the echo differs from the message sent", workload, index)
			return false
		}
	}
	return true
}

// openSockets counts this process's socket descriptors (nw_open_sockets).
func openSockets() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		if t, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(t, "socket:") {
			n++
		}
	}
	return n
}

func (c *runCtx) checkNoLeak(workload string, before int) int {
	after := openSockets()
	if before < 0 || after < 0 || after <= before {
		return statusOK
	}
	return c.verifyFail("%s: %d sockets left open after the run", workload, after-before)
}

// raiseFdLimit is nw_raise_fd_limit (Go raises the soft limit to the hard
// one at start; this raises the hard one too where allowed).
func (c *runCtx) raiseFdLimit(workload string, need uint64) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return c.fail(statusError, "%s: getrlimit: %v", workload, err)
	}
	if rl.Cur >= need {
		return statusOK
	}
	want := syscall.Rlimit{Cur: need, Max: rl.Max}
	if want.Max < need {
		want.Max = need
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return c.fail(statusError, "%s: needs %d file descriptors, RLIMIT_NOFILE allows %d (hard %d) and cannot be "+
			"raised: %v (ulimit -n, or fewer conns)", workload, need, rl.Cur, rl.Max, err)
	}
	return statusOK
}

// closedLoop runs what echo and rpc share: a loopback listener whose
// connections serve handles, conns client goroutines each given its
// connection and latency histogram (client returns at its first failure,
// recorded in nerr), then one op per request, the merged latencies as lat_*
// and the leak check.
func closedLoop(c *runCtx, workload string, conns int64, serve func(*netError) func(net.Conn),
	client func(index int64, conn net.Conn, h *latHist, nerr *netError)) int {
	before := openSockets()
	if s := c.raiseFdLimit(workload, uint64(2*conns+64)); s != statusOK {
		return s
	}
	l, err := listenLoopback()
	if err != nil {
		return c.fail(statusError, "%s: loopback listener: %v", workload, err)
	}
	var nerr netError
	hists := make([]*latHist, conns)
	c.run(c.threads, func() {
		var server, clients sync.WaitGroup
		server.Add(1)
		go func() {
			acceptor(l, conns, &server, &nerr, serve(&nerr))
			server.Done()
		}()
		clients.Add(int(conns))
		for i := int64(0); i < conns; i++ {
			hists[i] = newLatHist()
			go func(index int64, h *latHist) {
				defer clients.Done()
				conn, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					nerr.fail(statusError, "%s: connection %d: connect: %v", workload, index, err)
					return
				}
				defer conn.Close()
				client(index, conn, h, &nerr)
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
	return c.checkNoLeak(workload, before)
}
