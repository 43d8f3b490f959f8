// chameneos.go — Go twin of workloads/sched/chameneos.c: the same meeting
// place (a sync.Mutex and a waiting slot) and per-creature reply channels.
package main

import "sync"

type chameneosMsg struct{ color, id int }

type creature struct {
	color             int
	meetings, metSelf int64
	reply             chan chameneosMsg
}

type meetingPlace struct {
	lock      sync.Mutex
	remaining int64
	waiting   int
	creatures []creature
}

func (g *meetingPlace) creatureLoop(id int, wg *sync.WaitGroup) {
	me := &g.creatures[id]
	meet := func(other chameneosMsg) {
		me.meetings++
		if other.id == id {
			me.metSelf++
		}
		if me.color != other.color {
			me.color = 3 - me.color - other.color
		}
	}
	for {
		g.lock.Lock()
		if g.remaining == 0 {
			g.lock.Unlock()
			break
		}
		if g.waiting < 0 {
			g.waiting = id
			g.lock.Unlock()
			meet(<-me.reply)
			continue
		}
		partner := g.waiting
		g.waiting = -1
		g.remaining--
		theirs := chameneosMsg{g.creatures[partner].color, partner}
		g.lock.Unlock()
		g.creatures[partner].reply <- chameneosMsg{me.color, id}
		meet(theirs)
	}
	wg.Done()
}

func chameneosRun(c *runCtx) int {
	meetings := c.paramI("meetings")
	if meetings < 0 {
		return c.fail(statusUsage, "chameneos: meetings must be >= 0")
	}
	const blue, red, yellow = 0, 1, 2
	palettes := [][]int{{blue, red, yellow}, {blue, red, yellow, red, yellow, blue, red, yellow, red, blue}}
	games := make([]*meetingPlace, len(palettes))
	for k, colors := range palettes {
		g := &meetingPlace{remaining: meetings, waiting: -1, creatures: make([]creature, len(colors))}
		for i, col := range colors {
			g.creatures[i] = creature{color: col, reply: make(chan chameneosMsg)}
		}
		games[k] = g
	}
	c.run(c.threads, func() {
		for _, g := range games {
			var wg sync.WaitGroup
			wg.Add(len(g.creatures))
			for i := range g.creatures {
				go g.creatureLoop(i, &wg)
			}
			wg.Wait()
		}
	})
	c.count(uint64(2 * meetings))
	for _, g := range games {
		var total, self int64
		for i := range g.creatures {
			total += g.creatures[i].meetings
			self += g.creatures[i].metSelf
		}
		if total != 2*meetings || self != 0 {
			return c.verifyFail("chameneos: %d creatures counted %d meetings (%d with themselves), expected %d",
				len(g.creatures), total, self, 2*meetings)
		}
	}
	return statusOK
}

func init() { workloads["chameneos"] = chameneosRun }
