// alloc_threads.go — Go twins of the allocator workloads whose blocks cross
// threads: glibc-thread.c (fixed time, thread-local mixed sizes), larson.c
// (a worker hands its slots to a successor goroutine, which may run on
// another P and drops blocks its predecessor made), xmalloc-test.c
// (producers hand batches to consumers over a bounded channel) and
// mstress.c (objects migrate through a shared transfer array and outlive
// the goroutine that made them).
package main

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// stopAfter stops the timer and raises stop after d (the clock thread of
// the fixed-time workloads).
func (c *runCtx) stopAfter(d time.Duration, stop *atomic.Bool, done *sync.WaitGroup) {
	done.Add(1)
	go func() {
		defer done.Done()
		time.Sleep(d)
		stop.Store(true)
		c.timerStop()
	}()
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }

func glibcThreadRun(c *runCtx) int {
	run := c.paramF("time")
	if run <= 0 {
		return c.fail(statusUsage, "glibc-thread: need time > 0")
	}
	const workingSet, offsets, nsizes = 1024, 4096, 8000
	r := newRng(c.seed)
	sizes := make([]uint32, nsizes)
	for i := range sizes { // inverse CDF of the density s^-2 on [4, 32768]
		sizes[i] = uint32(1.0 / (1.0/4 - r.unit()*(1.0/4-1.0/32768)))
	}
	var stop atomic.Bool
	var clock sync.WaitGroup
	var k counter
	c.timerStart()
	c.stopAfter(seconds(run), &stop, &clock)
	status := goAll(c.threads, func(t int) int {
		slots := make([]block, workingSet)
		tr := newRng(c.seed + uint64(t))
		offs := make([]uint16, offsets)
		for i := range offs {
			offs[i] = uint16(tr.below(workingSet))
		}
		var iterations, bytes uint64
		for !stop.Load() {
			s := int(offs[iterations%offsets])
			if st := c.drop(&slots[s], "glibc-thread", t, s); st != statusOK {
				return st
			}
			size := sizes[(iterations+uint64(t)*977)%nsizes]
			p := make([]byte, size)
			for i := range p {
				p[i] = 0x5a
			}
			slots[s] = block{p, cookie(uint64(t), iterations, 5)}
			mark(p, slots[s].cookie)
			iterations++
			bytes += uint64(size)
		}
		for s := range slots {
			if st := c.drop(&slots[s], "glibc-thread", t, s); st != statusOK {
				return st
			}
		}
		k.add(iterations, iterations, bytes)
		return statusOK
	})
	clock.Wait()
	c.countAllocs(&k)
	return status
}

// larsonChain is one worker's slots, handed from goroutine to successor.
type larsonChain struct {
	index      int
	slots      []block
	min, max   int64
	steps      uint64
	generation uint64
	ops, bytes uint64
	r          *rng
}

func (c *runCtx) larsonReplace(ch *larsonChain, s int) int {
	if st := c.drop(&ch.slots[s], "larson", ch.index, s); st != statusOK {
		return st
	}
	size := ch.min + int64(ch.r.below(uint64(ch.max-ch.min)))
	ch.slots[s] = newBlock(int(size), cookie(uint64(ch.index), uint64(s), ch.ops))
	ch.ops++
	ch.bytes += uint64(size)
	return statusOK
}

func larsonRun(c *runCtx) int {
	run := c.paramF("sleep")
	min, max := c.paramI("min"), c.paramI("max")
	chunks, rounds, seed := c.paramI("chunks"), c.paramI("rounds"), uint64(c.paramI("seed"))
	if run <= 0 || min < 1 || max <= min || chunks < 1 || rounds < 1 {
		return c.fail(statusUsage, "larson: need sleep > 0, 1 <= min < max, chunks >= 1, rounds >= 1")
	}
	total := c.threads * int(chunks)
	slots := make([]block, total)
	// Setup (untimed): fill, shuffle, re-mark in place, churn 4×P×C.
	setup := &larsonChain{index: -1, slots: slots, min: min, max: max, r: newRng(seed)}
	for s := range slots {
		c.larsonReplace(setup, s)
	}
	for s := total; s > 1; s-- {
		j := int(setup.r.below(uint64(s)))
		slots[s-1], slots[j] = slots[j], slots[s-1]
	}
	for s := range slots {
		slots[s].cookie = cookie(^uint64(0), uint64(s), 0)
		mark(slots[s].p, slots[s].cookie)
	}
	for i := 0; i < 4*total; i++ {
		if st := c.larsonReplace(setup, int(setup.r.below(uint64(total)))); st != statusOK {
			return st
		}
	}
	var stop atomic.Bool
	var chainsLive sync.WaitGroup
	chains := make([]*larsonChain, c.threads)
	statuses := make([]int, c.threads)
	// A worker does its quota, then starts its successor and exits; the
	// successor goroutine inherits the slots (and may run on any P).
	var worker func(i int)
	worker = func(i int) {
		ch := chains[i]
		ch.generation++
		for step := uint64(0); step < ch.steps; step++ {
			if stop.Load() {
				chainsLive.Done()
				return
			}
			if st := c.larsonReplace(ch, int(ch.r.below(uint64(len(ch.slots))))); st != statusOK {
				statuses[i] = st
				chainsLive.Done()
				return
			}
		}
		go worker(i)
	}
	c.timerStart()
	chainsLive.Add(c.threads)
	for i := range chains {
		chains[i] = &larsonChain{index: i, slots: slots[i*int(chunks) : (i+1)*int(chunks)], min: min, max: max,
			steps: uint64(rounds) * uint64(chunks), r: newRng(seed + 1 + uint64(i))}
		go worker(i)
	}
	time.Sleep(seconds(run))
	stop.Store(true)
	chainsLive.Wait()
	c.timerStop()
	var k counter
	var threadsRun uint64
	status := statusOK
	for i, ch := range chains {
		if status == statusOK {
			status = statuses[i]
		}
		k.add(ch.ops, ch.ops, ch.bytes)
		threadsRun += ch.generation
	}
	for s := range slots {
		if st := c.drop(&slots[s], "larson", s/int(chunks), s); st != statusOK && status == statusOK {
			status = st
		}
	}
	c.countAllocs(&k)
	c.report("threads_run", float64(threadsRun))
	return status
}

type xmBatch struct {
	producer int
	serial   uint64
	blocks   []block
}

func xmallocRun(c *runCtx) int {
	run, size := c.paramF("time"), c.paramI("size")
	batch, maxBatches := c.paramI("batch"), c.paramI("max_batches")
	if run <= 0 || size < 0 || batch < 1 || maxBatches < 1 {
		return c.fail(statusUsage, "xmalloc-test: need time > 0, size >= 0, batch >= 1, max_batches >= 1")
	}
	// A channel of capacity max_batches is the C version's capped stack.
	queue := make(chan *xmBatch, maxBatches)
	var stop atomic.Bool
	var clock, producers sync.WaitGroup
	var k counter
	c.timerStart()
	c.stopAfter(seconds(run), &stop, &clock)
	producers.Add(c.threads)
	go func() {
		producers.Wait()
		close(queue)
	}()
	status := goAll(2*c.threads, func(i int) int {
		if i < c.threads { // producer
			defer producers.Done()
			sz := int(size)
			if sz == 0 {
				sz = 8
			}
			for serial := uint64(0); !stop.Load(); serial++ {
				b := &xmBatch{producer: i, serial: serial, blocks: make([]block, batch)}
				for j := range b.blocks {
					p := make([]byte, sz)
					for x := 0; x < sz && x < 128; x++ {
						p[x] = 0xa5
					}
					b.blocks[j] = block{p, cookie(uint64(i), serial, uint64(j))}
					mark(p, b.blocks[j].cookie)
					if size == 0 {
						if sz += sz / 2; sz > 2048 {
							sz = 8
						}
					}
				}
				queue <- b
			}
			return statusOK
		}
		var frees, bytes uint64
		status := statusOK
		for b := range queue { // consumer: drains to the end, so that no producer blocks
			for j := 0; j < len(b.blocks) && status == statusOK; j++ {
				if !marked(b.blocks[j].p, b.blocks[j].cookie) {
					status = c.verifyFail("xmalloc-test: producer %d batch %d object %d (%d B): cookie overwritten "+
						"before its free", b.producer, b.serial, j, len(b.blocks[j].p))
				}
			}
			if status == statusOK && !stop.Load() {
				frees += uint64(len(b.blocks))
				for j := range b.blocks {
					bytes += uint64(len(b.blocks[j].p))
				}
			}
			b.blocks = nil
		}
		k.add(frees, frees, bytes)
		return status
	})
	clock.Wait()
	c.countAllocs(&k)
	return status
}

const (
	mstressTransferSlots = 1000
	mstressSerialBits    = 40
)

// mstressObject is a bare word array that describes itself, as in the C
// workload: word 0 = size in words << 40 | serial, the last word mix(word 0).
type mstressShared struct {
	transfer [mstressTransferSlots]atomic.Pointer[uint64]
	checksum atomic.Uint64
	maxWords uint64
}

func mstressAlloc(words, serial uint64, checksum *uint64) *uint64 {
	w := make([]uint64, words)
	w[0] = words<<mstressSerialBits | serial&(1<<mstressSerialBits-1)
	if words > 1 {
		w[words-1] = mix(w[0])
	}
	*checksum += mix(w[0])
	return &w[0]
}

func (c *runCtx) mstressDrop(sh *mstressShared, p *uint64, who int, checksum *uint64) int {
	if p == nil {
		return statusOK
	}
	words := *p >> mstressSerialBits
	if words == 0 || words > sh.maxWords ||
		(words > 1 && unsafe.Slice(p, words)[words-1] != mix(*p)) {
		return c.verifyFail("mstress: object (header %#x) dropped by goroutine %d: cookie overwritten while live", *p, who)
	}
	*checksum -= mix(*p)
	return statusOK
}

func mstressWords(r *rng, short bool) uint64 {
	shift := uint64(7)
	if short {
		shift = 5
	}
	words := uint64(1) << r.below(shift)
	if r.below(100) == 0 {
		factor := uint64(100)
		if r.below(10) == 0 {
			factor = 1000
			if r.below(100) == 0 {
				factor = 10000
			}
		}
		words *= factor
	}
	return words
}

func mstressRun(c *runCtx) int {
	scale, rounds := c.paramI("scale"), c.paramI("iter")
	if scale < 1 || rounds < 1 || rounds >= 1<<20 {
		return c.fail(statusUsage, "mstress: need scale >= 1 and 1 <= iter < 2^20")
	}
	sh := &mstressShared{maxWords: 64 * 10000}
	r := newRng(c.seed)
	var mainChecksum uint64
	var k counter
	c.timerStart()
	defer c.timerStop()
	for round := uint64(0); round < uint64(rounds); round++ {
		status := goAll(c.threads, func(t int) int {
			n := int(100 * scale * int64(t%8+1))
			retained, short := make([]*uint64, 0, n), make([]*uint64, 0, n)
			tr := newRng(c.seed ^ cookie(round, uint64(t), 1))
			var checksum, allocs, bytes uint64
			serialBase := (round*4096 + uint64(t)) << 24
			defer func() {
				sh.checksum.Add(checksum)
				k.add(allocs, allocs, bytes)
			}()
			for i := 0; i < n; i++ {
				isShort := tr.below(2) == 0
				words := mstressWords(tr, isShort)
				p := mstressAlloc(words, serialBase+uint64(i), &checksum)
				allocs++
				bytes += words * 8
				if isShort {
					short = append(short, p)
				} else {
					retained = append(retained, p)
				}
				if len(short) > 0 && tr.below(3) < 2 {
					j := int(tr.below(uint64(len(short))))
					if st := c.mstressDrop(sh, short[j], t, &checksum); st != statusOK {
						return st
					}
					short[j] = short[len(short)-1]
					short = short[:len(short)-1]
				}
				if len(retained) > 0 && tr.below(4) == 0 {
					j := int(tr.below(uint64(len(retained))))
					slot := tr.below(mstressTransferSlots)
					retained[j] = sh.transfer[slot].Swap(retained[j])
					if retained[j] == nil {
						retained[j] = retained[len(retained)-1]
						retained = retained[:len(retained)-1]
					}
				}
			}
			for _, p := range append(retained, short...) {
				if st := c.mstressDrop(sh, p, t, &checksum); st != statusOK {
					return st
				}
			}
			return statusOK
		})
		if status != statusOK {
			return status
		}
		last := round == uint64(rounds)-1
		for s := range sh.transfer {
			if last || r.below(2) == 0 {
				if st := c.mstressDrop(sh, sh.transfer[s].Swap(nil), -1, &mainChecksum); st != statusOK {
					return st
				}
			}
		}
	}
	c.countAllocs(&k)
	if balance := sh.checksum.Load() + mainChecksum; balance != 0 {
		return c.verifyFail("mstress: the words 0 of dropped objects do not sum to those allocated (difference %#x): "+
			"a live object was overwritten by another", balance)
	}
	return statusOK
}

func init() {
	workloads["glibc-thread"] = glibcThreadRun
	workloads["larson"] = larsonRun
	workloads["xmalloc-test"] = xmallocRun
	workloads["mstress"] = mstressRun
}
