// uts.go — Go twin of workloads/sched/uts.c: the same UTS trees and
// splittable SHA-1 RNG (here on crypto/sha1), a goroutine per node.
package main

import (
	"crypto/sha1"
	"encoding/binary"
	"math"
	"sync"
)

type utsRNG [sha1.Size]byte

func utsRoot(seed int32) utsRNG {
	var init [20]byte
	binary.BigEndian.PutUint32(init[16:], uint32(seed))
	return sha1.Sum(init[:])
}

func (r *utsRNG) child(i int32) utsRNG {
	var buf [24]byte
	copy(buf[:20], r[:])
	binary.BigEndian.PutUint32(buf[20:], uint32(i))
	return sha1.Sum(buf[:])
}

func (r *utsRNG) value() int32 { return int32(binary.BigEndian.Uint32(r[16:]) & 0x7fffffff) }

type utsTree struct {
	binomial bool
	b0       float64
	depth    int
	q        float64
	m        int
	seed     int32
}

func (t *utsTree) children(r *utsRNG, height int) int {
	u := float64(r.value()) / 2147483648.0
	var n int
	if t.binomial {
		if height == 0 {
			return int(math.Floor(t.b0))
		}
		if u < t.q {
			n = t.m
		}
	} else {
		b := 0.0
		if height < t.depth {
			b = t.b0
		}
		p := 1.0 / (1.0 + b)
		n = int(math.Floor(math.Log(1.0-u) / math.Log(1.0-p)))
	}
	if n > 100 {
		n = 100
	}
	return n
}

func (t *utsTree) serial(r *utsRNG, height int) uint64 {
	count := uint64(1)
	for i, n := 0, t.children(r, height); i < n; i++ {
		c := r.child(int32(i))
		count += t.serial(&c, height+1)
	}
	return count
}

func (t *utsTree) task(r utsRNG, height int) uint64 {
	n := t.children(&r, height)
	if n == 0 {
		return 1
	}
	counts := make([]uint64, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			counts[i] = t.task(r.child(int32(i)), height+1)
			wg.Done()
		}(i)
	}
	wg.Wait()
	total := uint64(1)
	for _, c := range counts {
		total += c
	}
	return total
}

func utsRun(c *runCtx, t utsTree, standard utsTree, standardNodes uint64) int {
	root := utsRoot(t.seed)
	var count uint64
	c.run(c.threads, func() { count = t.task(root, 0) })
	c.count(count)
	want, source := standardNodes, "published count"
	if t != standard {
		want, source = t.serial(&root, 0), "serial count"
	}
	if count != want {
		return c.verifyFail("uts: counted %d nodes, expected %d (%s)", count, want, source)
	}
	return statusOK
}

func init() {
	workloads["uts-t1"] = func(c *runCtx) int {
		t := utsTree{b0: c.paramF("b0"), depth: int(c.paramI("depth")), seed: int32(c.paramI("seed"))}
		if t.b0 <= 0 || t.depth < 0 {
			return c.fail(statusUsage, "uts-t1: need b0 > 0 and depth >= 0")
		}
		return utsRun(c, t, utsTree{b0: 4, depth: 10, seed: 19}, 4130071)
	}
	workloads["uts-t3"] = func(c *runCtx) int {
		t := utsTree{binomial: true, b0: c.paramF("b0"), q: c.paramF("q"), m: int(c.paramI("m")), seed: int32(c.paramI("seed"))}
		if t.b0 < 0 || t.q < 0 || t.q > 1 || t.m < 0 || t.q*float64(t.m) >= 1 {
			return c.fail(statusUsage, "uts-t3: need b0 >= 0, 0 <= q <= 1, m >= 0 and q*m < 1 (a finite tree)")
		}
		return utsRun(c, t, utsTree{binomial: true, b0: 2000, q: 0.124875, m: 8, seed: 42}, 4112897)
	}
}
