// gmpbench.go — the Go twin of tools/gmpbench.c: the same micro-benchmark
// shapes (yield, spawn, spawn-create, spawn-alive, pingpong, pingpong-hog,
// skynet) on the real Go runtime, printed in the same format.
// Usage: GOMAXPROCS=N go run tools/gmpbench.go [benchmark]
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func skynet(c chan int, num, size int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	sum := 0
	for i := 0; i < 10; i++ {
		go skynet(rc, num+i*(size/10), size/10)
	}
	for i := 0; i < 10; i++ {
		sum += <-rc
	}
	c <- sum
}

func benchSkynet() float64 {
	c := make(chan int)
	t0 := time.Now()
	go skynet(c, 0, 1000000)
	r := <-c
	if r != 499999500000 {
		panic("bad")
	}
	return float64(time.Since(t0).Nanoseconds()) / 1e6
}

func benchPingPong(n int) float64 {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	d := time.Since(t0)
	close(a)
	return float64(d.Nanoseconds()) / float64(n)
}

func benchPPH(n int) float64 {
	var stop int32
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
		}
	}()
	runtime.Gosched()
	r := benchPingPong(n)
	atomic.StoreInt32(&stop, 1)
	return r
}

func benchSpawn(n, batch int, createOnly bool) float64 {
	var wg sync.WaitGroup
	var create time.Duration
	t0 := time.Now()
	for done := 0; done < n; done += batch {
		wg.Add(batch)
		c0 := time.Now()
		for i := 0; i < batch; i++ {
			go func() { wg.Done() }()
		}
		create += time.Since(c0)
		wg.Wait()
	}
	if createOnly {
		return float64(create.Nanoseconds()) / float64(n)
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func benchYield(n int) float64 {
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(2*n)
}

func median(f func() float64, reps int) (float64, float64, float64) {
	v := make([]float64, reps)
	for i := range v {
		v[i] = f()
	}
	sort.Float64s(v)
	return v[reps/2], v[0], v[reps-1]
}

func main() {
	procs := runtime.GOMAXPROCS(0)
	reps := 5
	show := func(name, unit string, f func() float64) {
		m, lo, hi := median(f, reps)
		fmt.Printf("%-14s procs=%d %10.1f %s (median of %d; min %.1f max %.1f)\n", name, procs, m, unit, reps, lo, hi)
	}
	which := "all"
	if len(os.Args) > 1 {
		which = os.Args[1]
	}
	if which == "all" || which == "yield" {
		show("yield", "ns/yield", func() float64 { return benchYield(1000000) })
	}
	if which == "all" || which == "spawn" {
		show("spawn", "ns/spawn", func() float64 { return benchSpawn(1000000, 1000, false) })
	}
	if which == "all" || which == "spawn-create" {
		show("spawn-create", "ns/spawn", func() float64 { return benchSpawn(1000000, 1000, true) })
	}
	if which == "all" || which == "spawn-alive" {
		show("spawn-alive", "ns/spawn", func() float64 { return benchSpawn(1000000, 1000000, false) })
	}
	if which == "all" || which == "pingpong" {
		show("pingpong", "ns/roundtrip", func() float64 { return benchPingPong(1000000) })
	}
	if which == "all" || which == "pingpong-hog" {
		show("pingpong-hog", "ns/roundtrip", func() float64 { return benchPPH(200000) })
	}
	if which == "all" || which == "skynet" {
		show("skynet", "ms/1e6 leaves", benchSkynet)
	}
}
