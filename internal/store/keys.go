package store

import (
	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// keyChunk is how many rows' keys are handed over at a time.
const keyChunk = 512

// pendingKeys are the keys of a batch, computed in order by a goroutine.
type pendingKeys struct {
	keys  []schema.Keys
	ready chan int      // receives the number of rows whose keys are done
	done  chan struct{} // closed to stop the goroutine early
	upTo  int
}

func computeKeys(invs []invite.Invitation) *pendingKeys {
	p := &pendingKeys{keys: make([]schema.Keys, len(invs)), ready: make(chan int, 8), done: make(chan struct{})}
	go func() {
		defer close(p.ready)
		for start := 0; start < len(invs); start += keyChunk {
			end := min(start+keyChunk, len(invs))
			for i := start; i < end; i++ {
				p.keys[i] = keysOf(&invs[i])
			}
			select {
			case p.ready <- end:
			case <-p.done:
				return
			}
		}
	}()
	return p
}

// get waits for the keys of row i.
func (p *pendingKeys) get(i int) schema.Keys {
	for i >= p.upTo {
		n, ok := <-p.ready
		if !ok {
			panic("store: keys of a batch requested after their computation stopped")
		}
		p.upTo = n
	}
	return p.keys[i]
}

func (p *pendingKeys) stop() { close(p.done) }
