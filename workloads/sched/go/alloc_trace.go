// alloc_trace.go — Go twin of the trace workload (workloads/trace/replay.c):
// decodes a recorded allocation trace (docs/trace-format.md, version 1; the
// Go side of trace_format.c, with the same validity checks) and replays it
// on the Go heap, one goroutine per recorded thread.  An allocation is a
// make([]byte, size) whose pointer the block table keeps; a free checks the
// block's cookie and drops that pointer, so the live set is the trace's at
// every op (the collector reclaims the rest when it runs); a realloc is a new
// block with the old contents copied; calloc memory is make()'s zeroed memory.
// Go cannot ask for an alignment: aligned ops are plain allocations, and how
// many of them came back misaligned is reported (extra.aligned_misaligned).
//
// The decoded ops live in an anonymous mapping outside the Go heap (they hold
// no pointers), so the replayed heap is the trace's blocks plus the block
// table (8 bytes per op, extra.replay_heap_table_bytes), which the collector
// must see and so lives in the heap.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

const (
	traceMalloc  = 1
	traceCalloc  = 2
	traceRealloc = 3
	traceFree    = 4
	traceTypes   = 9
	traceNoBlock = ^uint64(0)
	replayPage   = 4096
)

// traceOp is one decoded op; no pointers, so an array of them may live in
// memory the collector does not scan.
type traceOp struct {
	seq, size, block uint64 // block: the freed or reallocated block, or traceNoBlock
	thread           uint32
	typ, alignLog2   uint8
	crossThread      bool // frees/reallocs another thread's block
	freedElsewhere   bool // allocates a block another thread frees
	present          bool
}

type decodedTrace struct {
	threads                    uint32
	ops                        []traceOp // by seq, below the cap
	mapping                    []byte
	peakLive, crossThreadFrees uint64
}

type traceReader struct {
	data []byte
	at   int
	err  error
}

func (r *traceReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("byte %d: "+format, append([]any{r.at}, args...)...)
	}
}

func (r *traceReader) byte1(end int) uint8 {
	if r.err != nil || r.at >= end {
		r.fail("record runs past its chunk")
		return 0
	}
	r.at++
	return r.data[r.at-1]
}

func (r *traceReader) varint(end int) uint64 {
	var v uint64
	for shift := 0; shift < 70; shift += 7 {
		b := r.byte1(end)
		if r.err != nil {
			return 0
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v
		}
	}
	r.fail("varint longer than 10 bytes")
	return 0
}

func readTraceFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		z, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(z)
	}
	return data, nil
}

// decodeTrace parses and validates the stream, keeping ops with seq < cap.
func decodeTrace(data []byte, maxOps uint64) (*decodedTrace, error) {
	if len(data) < 48 || string(data[:8]) != "ASBTRACE" {
		return nil, fmt.Errorf("not an asbench trace (no ASBTRACE header)")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != 1 {
		return nil, fmt.Errorf("trace version %d, expected 1", v)
	}
	t := &decodedTrace{threads: binary.LittleEndian.Uint32(data[12:])}
	n := binary.LittleEndian.Uint64(data[16:])
	if n == ^uint64(0) {
		return nil, fmt.Errorf("unfinished trace (the recorded program never reached its exit)")
	}
	if t.threads > 1024 || n > 1<<40 {
		return nil, fmt.Errorf("header: %d threads, %d ops: out of range", t.threads, n)
	}
	keep := n
	if maxOps > 0 && maxOps < n {
		keep = maxOps
	}
	opBytes := int(unsafe.Sizeof(traceOp{}))
	m, err := syscall.Mmap(-1, 0, int(keep+1)*opBytes, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("cannot map %d ops: %v", keep, err)
	}
	t.mapping = m
	t.ops = unsafe.Slice((*traceOp)(unsafe.Pointer(&m[0])), keep)
	r := &traceReader{data: data, at: 48}
	var records uint64
	lastSeq := make([]int64, t.threads)
	for i := range lastSeq {
		lastSeq[i] = -1
	}
	for r.at < len(data) && r.err == nil {
		thread := r.varint(len(data))
		count := r.varint(len(data))
		payload := r.varint(len(data))
		if r.err != nil {
			break
		}
		if thread >= uint64(t.threads) || count < 1 || payload > uint64(len(data)-r.at) || count > payload/3 {
			r.fail("bad chunk header (thread %d of %d, %d records, %d bytes)", thread, t.threads, count, payload)
			break
		}
		end := r.at + int(payload)
		prev := int64(-1)
		for k := uint64(0); k < count && r.err == nil; k++ {
			op := traceOp{thread: uint32(thread), block: traceNoBlock}
			op.typ = r.byte1(end)
			op.seq = uint64(prev+1) + r.varint(end)
			switch op.typ {
			case traceMalloc:
				op.size = r.varint(end)
			case traceCalloc:
				nmemb := r.varint(end)
				if nmemb >= 1<<32 {
					r.fail("calloc nmemb %d", nmemb)
				}
				op.size = nmemb * r.varint(end)
			case traceRealloc:
				if back := r.varint(end); back != 0 {
					op.block = op.seq - back
				}
				op.size = r.varint(end)
			case traceFree:
				op.block = op.seq - r.varint(end) - 1
			default:
				if op.typ < 1 || op.typ > traceTypes {
					r.fail("record type %d", op.typ)
				}
				op.alignLog2 = r.byte1(end)
				op.size = r.varint(end)
				if op.alignLog2 > 30 {
					r.fail("alignment 2^%d", op.alignLog2)
				}
			}
			if op.size > 1<<47 {
				r.fail("size %d", op.size)
			}
			if r.err != nil {
				break
			}
			if op.seq >= n || int64(op.seq) <= lastSeq[thread] {
				r.fail("seq %d out of order or out of range", op.seq)
				break
			}
			prev, lastSeq[thread] = int64(op.seq), int64(op.seq)
			records++
			if op.seq < keep {
				if t.ops[op.seq].present {
					r.fail("seq %d appears twice", op.seq)
					break
				}
				op.present = true
				t.ops[op.seq] = op
			}
		}
		if r.err == nil && r.at != end {
			r.fail("chunk records do not fill its payload")
		}
	}
	if r.err == nil && records != n {
		r.err = fmt.Errorf("chunks hold %d records, header says %d", records, n)
	}
	if r.err == nil {
		r.err = t.checkHistory()
	}
	if r.err != nil {
		t.release()
		return nil, r.err
	}
	return t, nil
}

// checkHistory walks the ops in seq order: every free and realloc names a
// live block an earlier op returned; it marks cross-thread hand-offs and
// the peak of live requested bytes (the trace's ideal peak).
func (t *decodedTrace) checkHistory() error {
	live := make([]bool, len(t.ops))
	var liveBytes uint64
	for s := range t.ops {
		op := &t.ops[s]
		if !op.present {
			return fmt.Errorf("no record has seq %d", s)
		}
		if op.block != traceNoBlock {
			if op.block >= uint64(s) || !live[op.block] {
				return fmt.Errorf("op %d frees or reallocates block %d, which is not live", s, op.block)
			}
			live[op.block] = false
			liveBytes -= t.ops[op.block].size
			if owner := &t.ops[op.block]; owner.thread != op.thread {
				op.crossThread, owner.freedElsewhere = true, true
				t.crossThreadFrees++
			}
		}
		if op.typ != traceFree {
			live[s] = true
			liveBytes += op.size
			if liveBytes > t.peakLive {
				t.peakLive = liveBytes
			}
		}
	}
	return nil
}

func (t *decodedTrace) release() {
	if t.mapping != nil {
		syscall.Munmap(t.mapping)
		t.mapping, t.ops = nil, nil
	}
}

func blockCookie(id uint64) byte { return byte((id*0x9e3779b97f4a7c15)>>56) | 1 }

type replayer struct {
	c          *runCtx
	tr         *decodedTrace
	blocks     []unsafe.Pointer // by seq: the live block's first byte
	ready      []atomic.Bool    // by seq: allocated (blocks freed by another goroutine)
	touchPages bool
	failed     atomic.Bool
	misaligned atomic.Uint64
}

func (rp *replayer) view(id uint64) []byte {
	if rp.blocks[id] == nil {
		return nil
	}
	return unsafe.Slice((*byte)(rp.blocks[id]), rp.tr.ops[id].size)
}

func (rp *replayer) touch(p []byte, id, from uint64) {
	if len(p) == 0 {
		return
	}
	c := blockCookie(id)
	if rp.touchPages {
		for at := (from + replayPage) &^ (replayPage - 1); at < uint64(len(p))-1; at += replayPage {
			p[at] = c
		}
	}
	p[0], p[len(p)-1] = c, c
}

func (rp *replayer) check(id uint64, before string) int {
	p := rp.view(id)
	if c := blockCookie(id); len(p) > 0 && (p[0] != c || p[len(p)-1] != c) {
		return rp.c.verifyFail("trace: block %d (%d B) overwritten before %s", id, len(p), before)
	}
	return statusOK
}

var traceOpNames = [...]string{"?", "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc",
	"memalign", "valloc", "pvalloc"}

func (rp *replayer) op(op *traceOp) int {
	var old []byte
	if op.block != traceNoBlock {
		if op.crossThread {
			for !rp.ready[op.block].Load() {
				if rp.failed.Load() {
					return statusError
				}
				runtime.Gosched()
			}
		}
		if st := rp.check(op.block, traceOpNames[op.typ]); st != statusOK {
			return st
		}
		old = rp.view(op.block)
		rp.blocks[op.block] = nil // the free: the collector reclaims it
	}
	if op.typ == traceFree {
		return statusOK
	}
	var p []byte
	if op.size > 0 {
		p = make([]byte, op.size)
		rp.blocks[op.seq] = unsafe.Pointer(&p[0])
	}
	kept := uint64(copy(p, old))
	if op.typ == traceCalloc && len(p) > 0 && (p[0] != 0 || p[len(p)-1] != 0) {
		return rp.c.verifyFail("trace: op %d: calloc of %d B returned non-zero memory", op.seq, op.size)
	}
	if op.typ > traceFree && len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))&(1<<op.alignLog2-1) != 0 {
		rp.misaligned.Add(1)
	}
	if kept > 0 {
		if c := blockCookie(op.block); p[0] != c || (uint64(len(old)) <= op.size && p[len(old)-1] != c) {
			return rp.c.verifyFail("trace: op %d: realloc of block %d lost its contents", op.seq, op.block)
		}
	}
	rp.touch(p, op.seq, kept)
	if op.freedElsewhere {
		rp.ready[op.seq].Store(true)
	}
	return statusOK
}

func resolveTrace(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	if _, err := os.Stat(name); err == nil {
		return name
	}
	if shipped := filepath.Join(traceDir, name); fileExists(shipped) {
		return shipped
	}
	return name
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// resetPeakRSS resets the kernel's RSS high-water mark (as replay.c does)
// and returns the RSS at that point in bytes.
func resetPeakRSS() float64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	if kb := rssKB(); kb > 0 {
		return float64(kb) * 1024
	}
	return 0
}

func traceRun(c *runCtx) int {
	touchMode := c.param("touch")
	if touchMode != "pages" && touchMode != "ends" {
		return c.fail(statusUsage, "trace: touch=%s: expected pages or ends", touchMode)
	}
	maxOps := c.paramI("max_ops")
	if maxOps < 0 {
		return c.fail(statusUsage, "trace: need max_ops >= 0 (0 = all)")
	}
	path := resolveTrace(c.param("file"))
	data, err := readTraceFile(path)
	if err != nil {
		return c.fail(statusUsage, "trace: %s: %v", path, err)
	}
	tr, err := decodeTrace(data, uint64(maxOps))
	data = nil
	if err != nil {
		return c.fail(statusUsage, "trace: %s: %v", path, err)
	}
	defer tr.release()
	rp := &replayer{c: c, tr: tr, touchPages: touchMode == "pages",
		blocks: make([]unsafe.Pointer, len(tr.ops)), ready: make([]atomic.Bool, len(tr.ops))}
	perThread := make([][]uint64, tr.threads)
	for s := range tr.ops {
		perThread[tr.ops[s].thread] = append(perThread[tr.ops[s].thread], uint64(s))
	}
	c.report("ideal_peak_bytes", float64(tr.peakLive))
	c.report("trace_threads", float64(tr.threads))
	c.report("cross_thread_frees", float64(tr.crossThreadFrees))
	c.report("replay_metadata_bytes", float64(len(tr.mapping)))
	c.report("replay_heap_table_bytes", float64(len(tr.ops))*(8+4))
	runtime.GC() // the decoder's garbage goes before the peak is reset
	c.report("rss_before_replay_bytes", resetPeakRSS())
	var k counter
	c.timerStart()
	status := goAll(int(tr.threads), func(t int) int {
		var done, allocs, bytes uint64
		defer func() { k.add(done, allocs, bytes) }()
		for _, s := range perThread[t] {
			op := &tr.ops[s]
			if st := rp.op(op); st != statusOK {
				rp.failed.Store(true)
				return st
			}
			done++
			if op.typ != traceFree {
				allocs++
				bytes += op.size
			}
		}
		return statusOK
	})
	c.timerStop()
	c.report("aligned_misaligned", float64(rp.misaligned.Load()))
	if status == statusOK {
		for id := range rp.blocks {
			if st := rp.check(uint64(id), "the end of the trace"); st != statusOK {
				return st
			}
			rp.blocks[id] = nil
		}
	}
	c.countAllocs(&k)
	return status
}

func init() { workloads["trace"] = traceRun }
