// alloc_churn.go — Go twins of workloads/alloc/churn.c (size-class churn with
// a bounded live set; keep_live=1 leaves the slots live after the run) and
// span-pinning.c (one 12-byte survivor per 8 KiB span).  A free is dropping
// the slot's reference after checking its mark.
package main

import (
	"sort"
	"sync/atomic"
	"unsafe"
)

// churnSlot is 24 bytes, as the C workload's awl_block, so that the slot
// tables weigh the same in both heaps (a block's slice header would make
// it 32): the tables are part of heap-objects when keep_live=1 is compared.
type churnSlot struct {
	p      unsafe.Pointer
	size   int
	cookie uint64
}

func (s *churnSlot) intact() bool {
	return s.p == nil || marked(unsafe.Slice((*byte)(s.p), s.size), s.cookie)
}

// churnKept holds keep_live=1's slots until the next run or the worker's
// exit, so the native figures (read after a final collection) see them live.
var churnKept [][]churnSlot

func churnRun(c *runCtx) int {
	min, max := c.paramI("min"), c.paramI("max")
	nslots, iters, keepLive := c.paramI("slots"), c.paramI("iters"), c.paramI("keep_live")
	if min < 1 || max < min {
		return c.fail(statusUsage, "churn: need 1 <= min <= max")
	}
	if nslots < 1 || iters < 0 {
		return c.fail(statusUsage, "churn: need slots >= 1 and iters >= 0")
	}
	if keepLive != 0 && keepLive != 1 {
		return c.fail(statusUsage, "churn: keep_live must be 0 or 1")
	}
	churnKept = make([][]churnSlot, c.threads)
	var k counter
	var live atomic.Uint64
	check := func(slots []churnSlot, t, s int) int {
		if !slots[s].intact() {
			return c.verifyFail("churn: goroutine %d object %d (%d B): cookie overwritten while live",
				t, s, slots[s].size)
		}
		return statusOK
	}
	c.timerStart()
	status := goAll(c.threads, func(t int) int {
		slots := make([]churnSlot, nslots)
		r := newRng(c.seed + uint64(t)*7919)
		var allocs, bytes uint64
		for i := int64(0); i < iters; i++ {
			s := int(r.below(uint64(nslots)))
			if st := check(slots, t, s); st != statusOK {
				return st
			}
			size := min + int64(r.below(uint64(max-min+1)))
			p := make([]byte, size)
			slots[s] = churnSlot{unsafe.Pointer(&p[0]), int(size), cookie(uint64(t), uint64(s), uint64(i))}
			mark(p, slots[s].cookie)
			allocs++
			bytes += uint64(size)
		}
		var kept uint64
		for s := range slots {
			if st := check(slots, t, s); st != statusOK {
				return st
			}
			if slots[s].p != nil {
				kept += uint64(slots[s].size)
			}
		}
		if keepLive == 1 {
			churnKept[t] = slots
			live.Add(kept)
		}
		k.add(uint64(iters), allocs, bytes)
		return statusOK
	})
	c.timerStop()
	c.countAllocs(&k)
	if status == statusOK {
		c.report("live_bytes", float64(live.Load()))
	}
	return status
}

const spanBytes = 8192

// survivorTable keeps span-pinning's survivors reachable until the worker
// exits, so that final RSS and the native figures describe the pinned heap.
var survivorTable []unsafe.Pointer

func spanPinningRun(c *runCtx) int {
	count, size, keepEvery := c.paramI("count"), c.paramI("size"), c.paramI("keep_every")
	if count < 1 || size < 1 || keepEvery < 1 {
		return c.fail(statusUsage, "span-pinning: need count, size and keep_every >= 1")
	}
	n := int(count)
	// One pointer per object, 8 bytes as the C table, not a 24-byte slice
	// header: the pointer table is part of the heap in both.
	objects := make([]unsafe.Pointer, n)
	view := func(i int) []byte { return unsafe.Slice((*byte)(objects[i]), size) }
	check := func(i int) int {
		if !marked(view(i), cookie(uint64(i), 0, 12)) {
			return c.verifyFail("span-pinning: object %d (%d B): cookie overwritten while live", i, size)
		}
		return statusOK
	}
	c.timerStart()
	for i := 0; i < n; i++ {
		p := make([]byte, size)
		mark(p, cookie(uint64(i), 0, 12))
		objects[i] = unsafe.Pointer(&p[0])
	}
	rssAfterAlloc := rssKB()
	for i := 0; i < n; i++ {
		if st := check(i); st != statusOK {
			c.timerStop()
			return st
		}
		if i%int(keepEvery) != 0 {
			objects[i] = nil
		}
	}
	c.timerStop()
	rssAfterFree := rssKB()
	survivorTable = make([]unsafe.Pointer, 0, (n+int(keepEvery)-1)/int(keepEvery))
	windows := make([]uintptr, 0, cap(survivorTable))
	for i := 0; i < n; i += int(keepEvery) {
		if st := check(i); st != statusOK {
			return st
		}
		survivorTable = append(survivorTable, objects[i])
		windows = append(windows, uintptr(objects[i])/spanBytes)
	}
	sort.Slice(windows, func(a, b int) bool { return windows[a] < windows[b] })
	pinned := 0
	for i := range windows {
		if i == 0 || windows[i] != windows[i-1] {
			pinned++
		}
	}
	live := float64(len(survivorTable)) * float64(size)
	c.report("live_bytes", live)
	c.report("pinned_spans", float64(pinned))
	if pinned > 0 {
		c.report("span_utilisation", live/(float64(pinned)*spanBytes))
	} else {
		c.report("span_utilisation", 0)
	}
	c.report("rss_after_alloc_kb", float64(rssAfterAlloc))
	c.report("rss_after_free_kb", float64(rssAfterFree))
	c.countAllocs(&counter{ops: uint64(n), allocs: uint64(n), bytes: uint64(n) * uint64(size)})
	return statusOK
}

func init() {
	workloads["churn"] = churnRun
	workloads["span-pinning"] = spanPinningRun
}
