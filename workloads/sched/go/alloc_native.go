// alloc_native.go — native statistics of the real Go heap from
// runtime/metrics (Go 1.19), emitted as native.* after an allocator twin:
// the heap's in-use / idle / released / retained bytes and live objects
// under the same keys gostyle emits (allocators/gostyle.c), so the two sit
// side by side in a chart; the memory classes (objects, unused, free,
// released); GC cycles, CPU fraction and pause quantiles; and the objects
// allocated per size class (/gc/heap/allocs-by-size).
//
// Why a final collection: gostyle's figures describe the heap after the
// workload's explicit frees, when only live blocks hold memory; Go's heap
// still holds the garbage of the last cycle until a collection runs.  The
// gostyle-named keys are therefore read after runtime.GC() (which also
// finishes sweeping, so the figures are exact), and the heap as the workload
// left it is kept as native.end_heap_objects_bytes / end_heap_unused_bytes.
package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
)

var heapMetricNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/heap/objects:objects",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/goal:bytes",
	"/gc/pauses:seconds",
	"/gc/heap/allocs-by-size:bytes",
	"/gc/heap/tiny/allocs:objects",
	"/memory/classes/total:bytes",
}

type heapSample map[string]metrics.Value

func readHeap() heapSample {
	samples := make([]metrics.Sample, len(heapMetricNames))
	for i, n := range heapMetricNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	out := heapSample{}
	for _, s := range samples {
		out[s.Name] = s.Value
	}
	return out
}

func (h heapSample) u(name string) float64 {
	v := h[name]
	if v.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(v.Uint64())
}

// quantile of a runtime/metrics histogram: the upper bound of the bucket
// holding the q-th observation (an infinite bound falls back to the lower).
func quantile(h *metrics.Float64Histogram, q float64) float64 {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return h.Buckets[i]
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}

func (c *runCtx) native(key string, value float64) {
	c.extras = append(c.extras, fmt.Sprintf("native.%s=%s", key, strconv.FormatFloat(value, 'g', 17, 64)))
}

// reportNative emits the native.* figures of the Go heap (see above).
func (c *runCtx) reportNative() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	end := readHeap()
	c.native("end_heap_objects_bytes", end.u("/memory/classes/heap/objects:bytes"))
	c.native("end_heap_unused_bytes", end.u("/memory/classes/heap/unused:bytes"))
	c.native("gc_cycles", end.u("/gc/cycles/total:gc-cycles"))
	c.native("gc_heap_goal_bytes", end.u("/gc/heap/goal:bytes"))
	c.native("gc_cpu_fraction", ms.GCCPUFraction)
	// Objects under 16 B without pointers packed into shared 16 B blocks
	// (gostyle has no tiny allocator), and all memory the runtime mapped.
	c.native("tiny_allocs", end.u("/gc/heap/tiny/allocs:objects"))
	c.native("runtime_total_bytes", end.u("/memory/classes/total:bytes"))
	if v := end["/gc/pauses:seconds"]; v.Kind() == metrics.KindFloat64Histogram {
		h := v.Float64Histogram()
		c.native("gc_pause_p50_ns", quantile(h, 0.50)*1e9)
		c.native("gc_pause_p99_ns", quantile(h, 0.99)*1e9)
		c.native("gc_pause_max_ns", quantile(h, 1)*1e9)
	}
	// Objects allocated per size class: a bucket's upper bound is the class
	// size plus one, its key the class size (objects larger than the largest
	// class fall in the last, unbounded bucket: allocs_by_size_large).
	if v := end["/gc/heap/allocs-by-size:bytes"]; v.Kind() == metrics.KindFloat64Histogram {
		h := v.Float64Histogram()
		for i, n := range h.Counts {
			if n == 0 {
				continue
			}
			if hi := h.Buckets[i+1]; math.IsInf(hi, 1) {
				c.native("allocs_by_size_large", float64(n))
			} else {
				c.native(fmt.Sprintf("allocs_by_size_%d", int64(math.Ceil(hi))-1), float64(n))
			}
		}
	}

	runtime.GC()
	h := readHeap()
	objects, unused := h.u("/memory/classes/heap/objects:bytes"), h.u("/memory/classes/heap/unused:bytes")
	free, released := h.u("/memory/classes/heap/free:bytes"), h.u("/memory/classes/heap/released:bytes")
	inuse, idle := objects+unused, free+released
	c.native("heap_objects_bytes", objects)
	c.native("heap_unused_bytes", unused)
	c.native("heap_free_bytes", free)
	c.native("heap_sys_bytes", inuse+idle)
	c.native("heap_inuse_bytes", inuse)
	c.native("heap_idle_bytes", idle)
	c.native("heap_released_bytes", released)
	c.native("heap_retained_bytes", inuse+free)
	c.native("live_objects", h.u("/gc/heap/objects:objects"))
	c.native("live_bytes", objects)
	// Not gostyle's span_utilisation, which counts small-object spans only.
	if inuse > 0 {
		c.native("heap_utilisation", objects/inuse)
	}
}
