// rpc.go — Go twin of workloads/net/rpc.c: the same request/response
// protocol (u32 body length, u32 id, words separated by spaces; reply u32
// id, u32 word count, u64 hash) with the server's parse, allocate, hash and
// reply done the Go way: a body slice, a string per word, a reply slice.
package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"time"
)

const (
	rpcHeader  = 8
	rpcReply   = 16
	rpcMaxBody = 1 << 20
	fnvOffset  = 14695981039346656037
	fnvPrime   = 1099511628211
)

// fnv1a hashes a word as the server holds it (a string) or as the client
// builds it (bytes), without a conversion that would allocate.
func fnv1a[T string | []byte](s T) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func fold(h, wordHash uint64) uint64 { return (h ^ wordHash) * fnvPrime }

// rpcServe answers requests until the client closes.
func rpcServe(nerr *netError) func(net.Conn) {
	return func(conn net.Conn) {
		var header [rpcHeader]byte
		for {
			if _, err := io.ReadFull(conn, header[:]); err != nil {
				if err != io.EOF {
					nerr.fail(statusError, "rpc server: read: %v", err)
				}
				return
			}
			length, id := binary.LittleEndian.Uint32(header[:]), binary.LittleEndian.Uint32(header[4:])
			if length == 0 || length > rpcMaxBody {
				nerr.fail(statusVerifyFailed, "rpc server: request %d has a body of %d bytes", id, length)
				return
			}
			body := make([]byte, length)
			if _, err := io.ReadFull(conn, body); err != nil {
				nerr.fail(statusError, "rpc server: request %d: %v", id, err)
				return
			}
			words := make([]string, 0, bytes.Count(body, []byte{' '})+1)
			start := 0
			for i := 0; i <= len(body); i++ {
				if i == len(body) || body[i] == ' ' {
					words = append(words, string(body[start:i]))
					start = i + 1
				}
			}
			h := uint64(fnvOffset)
			for _, w := range words {
				h = fold(h, fnv1a(w))
			}
			reply := make([]byte, rpcReply)
			binary.LittleEndian.PutUint32(reply, id)
			binary.LittleEndian.PutUint32(reply[4:], uint32(len(words)))
			binary.LittleEndian.PutUint64(reply[8:], h)
			if _, err := conn.Write(reply); err != nil {
				nerr.fail(statusError, "rpc server: write: %v", err)
				return
			}
		}
	}
}

// rpcBuild is rpc_build: request id into buf, with the hash the reply must carry.
func rpcBuild(rng *rng, fields, fieldMax int64, id uint32, buf []byte) ([]byte, uint64) {
	body := buf[rpcHeader:rpcHeader]
	h := uint64(fnvOffset)
	for f := int64(0); f < fields; f++ {
		if f > 0 {
			body = append(body, ' ')
		}
		wlen := 1 + int(rng.below(uint64(fieldMax)))
		start := len(body)
		for i := 0; i < wlen; i++ {
			body = append(body, byte('a'+rng.below(26)))
		}
		h = fold(h, fnv1a(body[start:]))
	}
	binary.LittleEndian.PutUint32(buf, uint32(len(body)))
	binary.LittleEndian.PutUint32(buf[4:], id)
	return buf[:rpcHeader+len(body)], h
}

func rpcRun(c *runCtx) int {
	conns, requests := c.paramI("conns"), c.paramI("requests")
	fields, fieldMax := c.paramI("fields"), c.paramI("field_max")
	if conns < 1 || conns > 4096 || requests < 0 || fields < 1 || fields > 4096 || fieldMax < 1 || fieldMax > 256 {
		return c.fail(statusUsage, "rpc: need 1 <= conns <= 4096, requests >= 0, 1 <= fields <= 4096, 1 <= field_max <= 256")
	}
	return closedLoop(c, "rpc", conns, rpcServe, func(index int64, conn net.Conn, h *latHist, nerr *netError) {
		r := newRng(c.seed + uint64(index))
		buf := make([]byte, rpcHeader+fields*(fieldMax+1))
		var reply [rpcReply]byte
		for seq := int64(0); seq < requests; seq++ {
			req, want := rpcBuild(r, fields, fieldMax, uint32(seq), buf)
			t0 := time.Now()
			if _, err := conn.Write(req); err != nil {
				nerr.fail(statusError, "rpc: connection %d: write: %v", index, err)
				return
			}
			if _, err := io.ReadFull(conn, reply[:]); err != nil {
				nerr.fail(statusError, "rpc: connection %d: read: %v", index, err)
				return
			}
			h.record(uint64(time.Since(t0)))
			id, n, hash := binary.LittleEndian.Uint32(reply[:]), binary.LittleEndian.Uint32(reply[4:]),
				binary.LittleEndian.Uint64(reply[8:])
			if id != uint32(seq) || n != uint32(fields) || hash != want {
				nerr.fail(statusVerifyFailed, "rpc: connection %d request %d: reply (id %d, %d words, hash %016x) "+
					"differs from the request (%d words, hash %016x)", index, seq, id, n, hash, fields, want)
				return
			}
		}
	})
}

func init() { workloads["rpc"] = rpcRun }
