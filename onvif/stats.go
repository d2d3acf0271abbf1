package onvif

import "sync/atomic"

// Stats are the server's counters since start, for health reports.
type Stats struct {
	Requests     uint64 // SOAP requests received (POST to /onvif/…)
	Faults       uint64 // answered with a SOAP fault (any reason)
	AuthFailures uint64 // refused credentials (wrong user or password)
	Busy         uint64 // refused because MaxInFlight requests were running
}

type counters struct {
	requests, faults, authFailures, busy atomic.Uint64
}

// Stats snapshots the counters; safe from any goroutine.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.n.requests.Load(), Faults: s.n.faults.Load(), AuthFailures: s.n.authFailures.Load(), Busy: s.n.busy.Load()}
}
