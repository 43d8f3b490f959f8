// main.go — asbench-worker-go: the worker executable of the `go` scheduler.
// It runs the Go twin of one scheduler workload on the real Go runtime and
// speaks the protocol of harness/worker.c: the same options (--workload,
// --param k=v, --threads = GOMAXPROCS, --preset, --seed, --result-fd,
// --sched go), the same key=value result lines (status, message, elapsed_ns,
// ops, allocs, bytes, final_rss_kb, extra.*, sched.*) and the same exit codes
// (0 ok, 1 error, 2 usage, 3 verify-failed, 4 unsupported).  Parameter names
// and defaults come from the C tables (params_gen.go, generated at build
// time).  It is also the `go` allocator backend: the Go twins of the
// allocator workloads (alloc_*.go) run on the real Go heap, with native.*
// figures from runtime/metrics (alloc_native.go) and GOGC, GOMEMLIMIT,
// GODEBUG from a variant's settings (g50=go[GOGC=50]) in the environment.
// For scheduler twins allocs and bytes are the runtime's own counts
// (MemStats Mallocs and TotalAlloc) over the timed region; allocator twins
// count their own allocations as the C workloads do, the runtime's counts
// going to extra.go_allocs / extra.go_bytes.
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	statusOK           = 0
	statusError        = 1
	statusUsage        = 2
	statusVerifyFailed = 3
	statusUnsupported  = 4
)

type paramDef struct{ name, standard, quick string }

// runCtx is the Go counterpart of struct asb_ctx.
type runCtx struct {
	workload string
	params   map[string]string
	threads  int
	seed     uint64
	quick    bool

	elapsed       time.Duration
	timerUsed     bool
	begin         time.Time
	memBefore     runtime.MemStats
	cpuBefore     time.Duration
	cpu           time.Duration
	allocs, bytes uint64
	// The workload's own allocation counts (allocator twins), which replace
	// the runtime's in allocs= and bytes=.
	counted             bool
	ownAllocs, ownBytes uint64

	ops     atomic.Uint64
	mu      sync.Mutex
	message string
	extras  []string
}

// workloads maps a workload name to its Go twin.
var workloads = map[string]func(*runCtx) int{}

func usageExit(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "asbench-worker-go: "+format+"\n", args...)
	os.Exit(statusUsage)
}

func (c *runCtx) param(name string) string {
	v, ok := c.params[name]
	if !ok {
		usageExit("workload %s has no parameter '%s'", c.workload, name)
	}
	return v
}

// paramI accepts 1e6 as well as 1000000, as asb_param_i does.
func (c *runCtx) paramI(name string) int64 {
	v := c.param(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 9e18 {
		usageExit("parameter %s=%s of workload %s is not an integer", name, v, c.workload)
	}
	return int64(f)
}

func (c *runCtx) paramF(name string) float64 {
	v := c.param(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		usageExit("parameter %s=%s of workload %s is not a number", name, v, c.workload)
	}
	return f
}

// timerStart / timerStop bracket the measured region and the allocation
// counts taken over it.
func (c *runCtx) timerStart() {
	c.timerUsed = true
	runtime.ReadMemStats(&c.memBefore)
	c.cpuBefore = processCPU()
	c.begin = time.Now()
}

func (c *runCtx) timerStop() {
	c.elapsed += time.Since(c.begin)
	c.cpu += processCPU() - c.cpuBefore
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	c.allocs += after.Mallocs - c.memBefore.Mallocs
	c.bytes += after.TotalAlloc - c.memBefore.TotalAlloc
}

func (c *runCtx) count(ops uint64) { c.ops.Add(ops) }

// countAllocs records an allocator twin's ops and its own allocation counts.
func (c *runCtx) countAllocs(k *counter) {
	c.ops.Add(k.ops)
	c.counted = true
	c.ownAllocs += k.allocs
	c.ownBytes += k.bytes
}

// processCPU is the user+system CPU time of the whole process (the
// collector's workers included), as the C worker's cpu_ns.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// checkGoSettings refuses a GOGC the runtime would silently read as 100.
func checkGoSettings() string {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "off" && v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Sprintf("GOGC=%s: need an integer percentage or off", v)
		}
	}
	return ""
}

func (c *runCtx) report(key string, value float64) {
	c.mu.Lock()
	c.extras = append(c.extras, fmt.Sprintf("extra.%s=%s", key, strconv.FormatFloat(value, 'g', 17, 64)))
	c.mu.Unlock()
}

func (c *runCtx) fail(status int, format string, args ...any) int {
	c.mu.Lock()
	if c.message == "" {
		c.message = fmt.Sprintf(format, args...)
	}
	c.mu.Unlock()
	return status
}

func (c *runCtx) verifyFail(format string, args ...any) int {
	return c.fail(statusVerifyFailed, format, args...)
}

// run sets GOMAXPROCS and times body, the Go side of sw_run().
func (c *runCtx) run(procs int, body func()) {
	runtime.GOMAXPROCS(procs)
	c.timerStart()
	body()
	c.timerStop()
}

// reportLatency sorts the samples and reports PREFIX_p50/p99/max_ns.
func (c *runCtx) reportLatency(prefix string, samples []uint64) {
	if len(samples) == 0 {
		return
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	n := len(samples)
	p99 := n * 99 / 100
	if p99 >= n {
		p99 = n - 1
	}
	c.report(prefix+"_p50_ns", float64(samples[n/2]))
	c.report(prefix+"_p99_ns", float64(samples[p99]))
	c.report(prefix+"_max_ns", float64(samples[n-1]))
}

func rssKB() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize()) / 1024
}

func statusName(s int) string {
	switch s {
	case statusOK:
		return "ok"
	case statusVerifyFailed:
		return "verify-failed"
	case statusUnsupported:
		return "unsupported"
	case statusUsage:
		return "usage"
	}
	return "error"
}

func main() {
	c := &runCtx{threads: 1, seed: 42}
	out := os.Stdout
	var overrides []string
	preset := "standard"
	sched := "go"
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--version" {
			fmt.Println("go", runtime.Version())
			return
		}
		if i+1 >= len(args) {
			usageExit("option %s needs a value", a)
		}
		i++
		v := args[i]
		switch a {
		case "--workload":
			c.workload = v
		case "--param":
			overrides = append(overrides, v)
		case "--threads":
			t, err := strconv.Atoi(v)
			if err != nil || t < 1 || t > 4096 {
				usageExit("--threads %s: need an integer in 1..4096", v)
			}
			c.threads = t
		case "--seed":
			s, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				usageExit("--seed %s: not a number", v)
			}
			c.seed = s
		case "--preset":
			if v != "quick" && v != "standard" {
				usageExit("--preset %s: valid presets are quick, standard", v)
			}
			preset = v
		case "--sched":
			sched = v
		case "--sched-options", "--preloaded":
			// GODEBUG-style options and preloaded allocators do not apply to the Go runtime.
		case "--result-fd":
			fd, err := strconv.Atoi(v)
			if err != nil || fd < 0 {
				usageExit("--result-fd %s: not a descriptor", v)
			}
			out = os.NewFile(uintptr(fd), "result")
		default:
			usageExit("unknown option %s", a)
		}
	}
	if c.workload == "" {
		usageExit("--workload is required")
	}
	if bad := checkGoSettings(); bad != "" {
		usageExit("%s", bad)
	}
	table, known := paramTables[c.workload]
	if !known {
		usageExit("unknown workload '%s'", c.workload)
	}
	c.quick = preset == "quick"
	c.params = map[string]string{}
	for _, d := range table {
		if c.quick {
			c.params[d.name] = d.quick
		} else {
			c.params[d.name] = d.standard
		}
	}
	for _, kv := range overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			usageExit("--param %s: expected key=value", kv)
		}
		if _, has := c.params[k]; !has {
			usageExit("workload %s has no parameter '%s'", c.workload, k)
		}
		c.params[k] = v
	}

	fmt.Fprintf(out, "backend=go\nbackend_version=%s\n", runtime.Version())
	status := statusOK
	if sched != "go" {
		// --alloc go on a scheduler workload with a C scheduler.
		status = c.fail(statusUnsupported, "the Go heap runs only under the Go runtime's own scheduler, not '%s'", sched)
	} else if why, ok := noTwin[c.workload]; ok {
		status = c.fail(statusUnsupported, "%s has no Go twin: %s", c.workload, why)
	} else if body, ok := workloads[c.workload]; ok {
		t0 := time.Now()
		status = body(c)
		if !c.timerUsed {
			c.elapsed = time.Since(t0)
		}
	} else {
		status = c.fail(statusUnsupported, "workload %s has no Go twin", c.workload)
	}
	finalRSS := rssKB()
	if c.counted {
		c.report("go_allocs", float64(c.allocs))
		c.report("go_bytes", float64(c.bytes))
		c.allocs, c.bytes = c.ownAllocs, c.ownBytes
		if status == statusOK {
			c.reportNative()
		}
	}
	var b strings.Builder
	for _, e := range c.extras {
		b.WriteString(e + "\n")
	}
	fmt.Fprintf(&b, "status=%s\n", statusName(status))
	if c.message != "" {
		fmt.Fprintf(&b, "message=%s\n", strings.ReplaceAll(c.message, "\n", " "))
	}
	fmt.Fprintf(&b, "elapsed_ns=%d\nops=%d\nallocs=%d\nbytes=%d\ncpu_ns=%d\nfinal_rss_kb=%d\n",
		c.elapsed.Nanoseconds(), c.ops.Load(), c.allocs, c.bytes, c.cpu.Nanoseconds(), finalRSS)
	if status == statusOK {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(&b, "sched.gomaxprocs=%d\nsched.gc_cycles=%d\nsched.goroutines_at_end=%d\n",
			runtime.GOMAXPROCS(0), ms.NumGC, runtime.NumGoroutine())
	}
	out.WriteString(b.String())
	if status != statusOK && c.message != "" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", c.workload, c.message)
	}
	os.Exit(status)
}
