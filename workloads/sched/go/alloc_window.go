// alloc_window.go — Go twin of workloads/alloc/sh8bench.c: the main
// goroutine allocates `foreign` 8-byte blocks (tiny-allocator blocks in Go)
// that 2P worker goroutines drop (remote frees), then each worker allocates
// from a skewed size histogram into the survivor-window buffer of
// alloc_util.c (awl_window_*), whose drops below the window go in
// allocation order and above it in reverse, the window moving on by its
// own size at each sweep.  Under a collector the drop order only decides
// which blocks are garbage when; the live set is the C workload's.
package main

var sh8Histogram = []struct {
	size  int
	count int
}{
	{8, 1000}, {16, 5000}, {48, 1000}, {72, 100}, {148, 100}, {200, 100},
	{520, 10}, {1056, 5}, {4096, 3}, {9162, 1}, {34562, 1}, {168524, 1},
}

// windowBuffer is awl_window_buffer: cap slots, a window of cap/5 survivors.
type windowBuffer struct {
	c                                 *runCtx
	slots                             []block
	next, windowStart, windowLen, who int
	workload                          string
}

func newWindowBuffer(c *runCtx, capacity int, workload string, who int) *windowBuffer {
	return &windowBuffer{c: c, slots: make([]block, capacity), windowLen: capacity / 5, workload: workload, who: who}
}

func (w *windowBuffer) sweep() int {
	w.windowStart += w.windowLen
	if w.windowStart+w.windowLen > len(w.slots) {
		w.windowStart = 0
	}
	for i := 0; i < w.windowStart; i++ {
		if st := w.c.drop(&w.slots[i], w.workload, w.who, i); st != statusOK {
			return st
		}
	}
	for i := len(w.slots); i > w.windowStart+w.windowLen; i-- {
		if st := w.c.drop(&w.slots[i-1], w.workload, w.who, i-1); st != statusOK {
			return st
		}
	}
	w.next = 0
	return statusOK
}

func (w *windowBuffer) put(b block) int {
	if w.next >= w.windowStart && w.next < w.windowStart+w.windowLen {
		w.next = w.windowStart + w.windowLen
	}
	if w.next >= len(w.slots) {
		if st := w.sweep(); st != statusOK {
			return st
		}
		if w.windowStart == 0 {
			w.next = w.windowLen
		}
	}
	w.slots[w.next] = b
	w.next++
	return statusOK
}

func (w *windowBuffer) destroy() int {
	for i := range w.slots {
		if st := w.c.drop(&w.slots[i], w.workload, w.who, i); st != statusOK {
			return st
		}
	}
	return statusOK
}

func sh8Run(c *runCtx) int {
	heap, iterations, foreign := c.paramI("heap"), c.paramI("iterations"), c.paramI("foreign")
	if heap < int64(c.threads) || iterations < 0 || foreign < 0 {
		return c.fail(statusUsage, "sh8bench: need heap >= threads, iterations >= 0, foreign >= 0")
	}
	foreignCookie := func(i int) uint64 { return cookie(^uint64(0), uint64(i), 8) }
	blocks := make([][]byte, foreign)
	for i := range blocks {
		blocks[i] = make([]byte, 8)
		mark(blocks[i], foreignCookie(i))
	}
	workers := 2 * c.threads
	var k counter
	c.timerStart()
	status := goAll(workers, func(t int) int {
		first, last := len(blocks)*t/workers, len(blocks)*(t+1)/workers
		for i := first; i < last; i++ {
			if !marked(blocks[i], foreignCookie(i)) {
				return c.verifyFail("sh8bench: goroutine %d foreign object %d (8 B): cookie overwritten while live", t, i)
			}
			blocks[i] = nil
		}
		buf := newWindowBuffer(c, int(heap/int64(c.threads)), "sh8bench", t)
		n := uint64(iterations / int64(c.threads))
		var bytes uint64
		bin, left := 0, sh8Histogram[0].count
		for i := uint64(0); i < n; i++ {
			if left == 0 {
				bin = (bin + 1) % len(sh8Histogram)
				left = sh8Histogram[bin].count
			}
			left--
			size := sh8Histogram[bin].size
			bytes += uint64(size)
			if st := buf.put(newBlock(size, cookie(uint64(t), i, 8))); st != statusOK {
				return st
			}
		}
		k.add(n, n, bytes)
		return buf.destroy()
	})
	c.timerStop()
	c.countAllocs(&k)
	return status
}

func init() { workloads["sh8bench"] = sh8Run }
