// messaging.go — Go twin of workloads/sched/messaging.c (hackbench over
// channels); a message is a fixed array of `size` bytes carried by value.
package main

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

const msgMax = 128

type message struct {
	buf [msgMax]byte
}

func fillByte(sender, seq int32, i int64) byte { return byte(sender*31 + seq*7 + int32(i)) }

func messagingRun(c *runCtx) int {
	groups, senders, receivers := c.paramI("groups"), c.paramI("senders"), c.paramI("receivers")
	messages, size, capacity := c.paramI("messages"), c.paramI("size"), c.paramI("cap")
	if groups < 1 || senders < 1 || receivers < 1 || messages < 0 || capacity < 0 || size < 8 || size > msgMax ||
		groups*(senders+receivers) > 1000000 {
		return c.fail(statusUsage, "messaging: need groups, senders, receivers >= 1, 8 <= size <= %d", msgMax)
	}
	var received, corrupt atomic.Int64
	c.run(c.threads, func() {
		inbox := make([]chan message, groups*receivers)
		for i := range inbox {
			inbox[i] = make(chan message, capacity)
		}
		var wg sync.WaitGroup
		wg.Add(int(groups * (senders + receivers)))
		for id := int64(0); id < groups*receivers; id++ {
			go func(id int64) {
				group := id / receivers
				nextSeq := make([]int32, senders)
				want, bad := senders*messages, int64(0)
				for got := int64(0); got < want; got++ {
					m := <-inbox[id]
					sender := int32(binary.LittleEndian.Uint32(m.buf[0:]))
					seq := int32(binary.LittleEndian.Uint32(m.buf[4:]))
					local := int64(sender) - group*senders
					if local < 0 || local >= senders || seq != nextSeq[local] {
						bad++
						continue
					}
					nextSeq[local]++
					for i := int64(8); i < size; i++ {
						if m.buf[i] != fillByte(sender, seq, i) {
							bad++
							break
						}
					}
				}
				received.Add(want)
				corrupt.Add(bad)
				wg.Done()
			}(id)
		}
		for id := int64(0); id < groups*senders; id++ {
			go func(id int64) {
				group := id / senders
				var m message
				for seq := int32(0); seq < int32(messages); seq++ {
					binary.LittleEndian.PutUint32(m.buf[0:], uint32(id))
					binary.LittleEndian.PutUint32(m.buf[4:], uint32(seq))
					for i := int64(8); i < size; i++ {
						m.buf[i] = fillByte(int32(id), seq, i)
					}
					for r := int64(0); r < receivers; r++ {
						inbox[group*receivers+r] <- m
					}
				}
				wg.Done()
			}(id)
		}
		wg.Wait()
	})
	want := groups * senders * receivers * messages
	c.count(uint64(want))
	if received.Load() != want || corrupt.Load() != 0 {
		return c.verifyFail("messaging: %d messages received (%d corrupt or out of order), expected %d",
			received.Load(), corrupt.Load(), want)
	}
	return statusOK
}

func init() { workloads["messaging"] = messagingRun }
