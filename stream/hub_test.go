package stream

import (
	"testing"

	"camagent/media"
)

func unit(pool *media.AUPool, idr bool, seq uint64) *media.AccessUnit {
	au := pool.Get()
	au.IDR, au.Seq = idr, seq
	if idr {
		au.SetNALUs([][]byte{{0x67, 1}, {0x68, 2}, {0x65, 3}})
	} else {
		au.SetNALUs([][]byte{{0x41, 4}})
	}
	return au
}

func drain(s *Subscription) []uint64 {
	var seqs []uint64
	for {
		select {
		case au := <-s.C():
			seqs = append(seqs, au.Seq)
			au.Release()
		default:
			return seqs
		}
	}
}

func TestHubSlowSubscriberDroppedFastUnaffected(t *testing.T) {
	keyframes := 0
	h := NewHub(func() { keyframes++ })
	pool := media.NewAUPool(16)
	fast := h.Subscribe("fast", 4)
	slow := h.Subscribe("slow", 2)
	if keyframes != 2 {
		t.Fatalf("subscribing asked for %d keyframes, want 2", keyframes)
	}

	var fastGot []uint64
	for i := range uint64(10) {
		h.Publish(unit(pool, i == 0 || i == 8, i))
		fastGot = append(fastGot, drain(fast)...) // the fast reader keeps up
	}
	for i, s := range fastGot {
		if s != uint64(i) {
			t.Fatalf("fast subscriber got %v, want 0..9 in order", fastGot)
		}
	}
	if len(fastGot) != 10 {
		t.Fatalf("fast subscriber got %d units, want 10", len(fastGot))
	}
	// The slow one took 0 and 1, lost 2 (queue full), then waited for the
	// IDR at 8, which it also lost because it still had not read.
	st := slow.Stats()
	if st.Received != 2 || st.Dropped != 2 || st.Skipped != 6 {
		t.Errorf("slow stats %+v, want received 2, dropped 2 (2 and IDR 8), skipped 6", st)
	}
	if got := drain(slow); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Errorf("slow subscriber got %v, want [0 1]", got)
	}
	if keyframes != 3 {
		t.Errorf("a drop asked for %d keyframes in total, want 3 (one per resync, not per drop)", keyframes)
	}
	// After draining, the next IDR resynchronises it.
	h.Publish(unit(pool, false, 10))
	h.Publish(unit(pool, true, 11))
	if got := drain(slow); len(got) != 1 || got[0] != 11 {
		t.Errorf("after resync slow got %v, want [11]", got)
	}
	fast.Close()
	slow.Close()
}

func TestHubNewSubscriberStartsOnIDR(t *testing.T) {
	h := NewHub(nil)
	pool := media.NewAUPool(4)
	s := h.Subscribe("late", 8)
	h.Publish(unit(pool, false, 0))
	h.Publish(unit(pool, false, 1))
	h.Publish(unit(pool, true, 2))
	h.Publish(unit(pool, false, 3))
	if got := drain(s); len(got) != 2 || got[0] != 2 {
		t.Errorf("got %v, want [2 3]", got)
	}
	s.Close()
	s.Close() // idempotent
	h.Publish(unit(pool, true, 4))
	if got := drain(s); len(got) != 0 {
		t.Errorf("closed subscription still received %v", got)
	}
}

// Units come back to the pool once every subscriber released them, so the
// steady state does not allocate.
func TestHubRecyclesUnits(t *testing.T) {
	h := NewHub(nil)
	pool := media.NewAUPool(4)
	a, b := h.Subscribe("a", 4), h.Subscribe("b", 4)
	first := unit(pool, true, 0)
	h.Publish(first)
	drain(a)
	drain(b)
	if again := pool.Get(); again != first {
		t.Errorf("unit was not recycled after both subscribers released it")
	}
}

// BenchmarkHubPublish measures the fan-out cost per access unit for 4
// subscribers that keep up; allocs/op must be 0.
func BenchmarkHubPublish(b *testing.B) {
	h := NewHub(nil)
	pool := media.NewAUPool(64)
	subs := make([]*Subscription, 4)
	for i := range subs {
		subs[i] = h.Subscribe("s", 8)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Publish(unit(pool, i%30 == 0, uint64(i)))
		for _, s := range subs {
			au := <-s.C()
			au.Release()
		}
	}
}
