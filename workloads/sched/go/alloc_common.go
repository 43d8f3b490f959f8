// alloc_common.go — what the Go twins of the allocator workloads share, the
// Go side of workloads/alloc/alloc_util.c and workloads/common.c: the same
// random stream (xoshiro256** seeded through splitmix64, so a twin draws the
// same sizes as its C workload), the same block cookies, and blocks whose
// "free" is dropping the last reference after checking the mark (the
// collector then reclaims them).  Goroutines take the place of threads and
// --threads is GOMAXPROCS.
package main

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

type rng struct{ s [4]uint64 }

func newRng(seed uint64) *rng {
	r := &rng{}
	for i := range r.s {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
	return r
}

func (r *rng) next() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// below is uniform in [0, n), as asb_rng_below.
func (r *rng) below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// unit is uniform in [0, 1) from the top 53 bits.
func (r *rng) unit() float64 { return float64(r.next()>>11) / 9007199254740992.0 }

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func cookie(a, b, c uint64) uint64 { return mix(mix(mix(a+0x9e3779b97f4a7c15)^b) ^ c) }

// mark writes the cookie into the first min(len, 8) bytes and its top byte
// into the last byte of blocks longer than 8 bytes (awl_mark).
func mark(p []byte, c uint64) {
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], c)
	copy(p, w[:])
	if len(p) > 8 {
		p[len(p)-1] = byte(c >> 56)
	}
}

func marked(p []byte, c uint64) bool {
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], c)
	n := len(p)
	if n > 8 {
		n = 8
	}
	for i := 0; i < n; i++ {
		if p[i] != w[i] {
			return false
		}
	}
	return len(p) <= 8 || p[len(p)-1] == byte(c>>56)
}

// block is a live allocation with the cookie it was marked with.
type block struct {
	p      []byte
	cookie uint64
}

func newBlock(size int, c uint64) block {
	b := block{make([]byte, size), c}
	mark(b.p, c)
	return b
}

// drop checks b's mark and drops the reference: the Go form of free.
func (c *runCtx) drop(b *block, workload string, thread, index int) int {
	if b.p == nil {
		return statusOK
	}
	if !marked(b.p, b.cookie) {
		return c.verifyFail("%s: goroutine %d object %d (%d B): cookie overwritten while live",
			workload, thread, index, len(b.p))
	}
	b.p = nil
	return statusOK
}

// goAll runs fn(0..n-1) on n goroutines and waits for them; the first
// non-ok status wins.
func goAll(n int, fn func(i int) int) int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			statuses[i] = fn(i)
		}(i)
	}
	wg.Wait()
	for _, s := range statuses {
		if s != statusOK {
			return s
		}
	}
	return statusOK
}

// counter sums per-goroutine allocation counts; the twins count allocations
// and requested bytes themselves, as the C workloads do (asb_count), while
// the runtime's own counts go to extra.go_allocs / extra.go_bytes.
type counter struct {
	mu                 sync.Mutex
	ops, allocs, bytes uint64
}

func (k *counter) add(ops, allocs, bytes uint64) {
	k.mu.Lock()
	k.ops += ops
	k.allocs += allocs
	k.bytes += bytes
	k.mu.Unlock()
}

// noTwin gives, for each workload the Go worker does not run, why: the
// worker answers `unsupported` with the reason.
var noTwin = map[string]string{
	"cache-scratch": "false sharing depends on where an allocator puts a block freed for immediate reuse; " +
		"under a garbage collector a dropped block is reused only after a collection, so a twin would time the collector",
	"cache-thrash": "it measures which objects the allocator puts on one cache line; Go's size-class placement is " +
		"gostyle's, and a twin would add only the collector's timing (see cache-scratch)",
	"glibc-simple": "it measures FIFO against LIFO free order; a garbage collector frees in sweep order whatever " +
		"order the program drops its references in",
	"sh6bench": "it measures FIFO and LIFO free order around a survivor window; a collector frees in sweep order",
	"mleak": "it measures memory kept by caches of exited threads; Go's mcaches belong to Ps, which outlive " +
		"goroutines, so there is no thread-exit path to measure (mstress covers objects outliving their goroutine)",
	"empirical": "its objects die by explicit frees at a given count of allocations; under a garbage collector " +
		"a dropped object's memory comes back only after a collection, so a twin would measure GOGC rather than " +
		"the profile (the trace replay's twin covers a program's own pattern)",
}
