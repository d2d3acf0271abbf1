package onvif

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"

	"camagent/internal/clock"
)

// WS-Discovery defaults (ONVIF Core, WS-Discovery 2005/04).
const (
	DiscoveryPort       = 3702
	DefaultReplyDelay   = 500 * time.Millisecond // APP_MAX_DELAY for multicast replies
	DefaultRescan       = 30 * time.Second       // interface re-scan (DHCP, hot-plug)
	discoveryQueue      = 64                     // delayed replies waiting; more are dropped
	discoverySources    = 256                    // per-source buckets remembered
	discoveryPerRate    = 1.0                    // replies/s to one source…
	discoveryPerBurst   = 3.0                    // …with this burst
	discoveryGlobalRate = 20.0                   // replies/s in total…
	discoveryGlobalBurs = 40.0                   // …with this burst
)

// DiscoveryGroup is the IPv4 WS-Discovery multicast group.
var DiscoveryGroup = netip.MustParseAddr("239.255.255.250")

// DiscoveryConfig configures the WS-Discovery target service; app fills it.
type DiscoveryConfig struct {
	// Port is the UDP port; default DiscoveryPort (tests use others).
	Port int
	// HTTPPort returns the device service's TCP port for XAddrs; it is
	// called per message, so a port bound at run time works.
	HTTPPort func() int
	// Endpoint is the stable endpoint reference, urn:uuid:…; see DeviceUUID.
	Endpoint string
	Device   DeviceInfo
	// Host lists the interfaces; nil uses the system's.
	Host Host
	// Only, when valid, restricts discovery to the interface carrying that
	// address (onvif.listen with a host part).
	Only netip.Addr
	// ReplyDelay is the maximum random delay before a multicast reply;
	// 0 = DefaultReplyDelay, negative = none.
	ReplyDelay time.Duration
	Clock      clock.Clock
	Log        *slog.Logger
}

// DiscoveryStats counts what the responder did with datagrams.
type DiscoveryStats struct {
	Received, Replied    uint64
	OffLink, Malformed   uint64 // source not on the receiving interface's subnet; not a Probe
	NoMatch, RateLimited uint64
	QueueFull            uint64
	BytesIn, BytesOut    uint64 // of answered probes and their replies
}

// Discovery answers WS-Discovery Probes and announces the device with Hello
// and Bye. It never answers a source outside the subnets of the interface
// the datagram came in on, and rate-limits replies per source and in total.
type Discovery struct {
	cfg      DiscoveryConfig
	log      *slog.Logger
	clk      clock.Clock
	instance uint64
	number   atomic.Uint64
	limit    *replyLimiter // reader goroutine only
	ready    chan struct{}

	changed chan struct{} // SetScopes: announce the new scopes with Hello

	mu       sync.Mutex
	ifaces   []NetInterface // joined interfaces
	addr     net.Addr
	stats    DiscoveryStats
	device   DeviceInfo // cfg.Device with the current name and location
	metadata int        // MetadataVersion, bumped when the scopes change
}

// DeviceUUID derives a stable endpoint reference from the device's serial,
// so it survives reboots without storage (name-based, RFC 4122 version 5
// layout over SHA-1).
func DeviceUUID(serial string) string {
	h := sha1.Sum([]byte("camagent-onvif-endpoint:" + serial))
	var u [16]byte
	copy(u[:], h[:16])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return "urn:uuid:" + formatUUID(u)
}

// NewDiscovery checks cfg; nothing listens until Run.
func NewDiscovery(cfg DiscoveryConfig) (*Discovery, error) {
	if cfg.HTTPPort == nil || cfg.Endpoint == "" {
		return nil, errors.New("onvif: discovery needs the HTTP port and an endpoint")
	}
	if cfg.Port == 0 {
		cfg.Port = DiscoveryPort
	}
	if cfg.ReplyDelay == 0 {
		cfg.ReplyDelay = DefaultReplyDelay
	}
	if cfg.Host == nil {
		cfg.Host = systemHost{}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Discovery{
		cfg: cfg, log: cfg.Log, clk: cfg.Clock,
		instance: uint64(cfg.Clock.Now().Unix()),
		limit: newReplyLimiter(discoveryPerRate, discoveryPerBurst,
			discoveryGlobalRate, discoveryGlobalBurs, discoverySources),
		ready:   make(chan struct{}),
		changed: make(chan struct{}, 1),
		device:  cfg.Device, metadata: 1,
	}, nil
}

// SetScopes changes the name and location scopes Probe matches and Hello
// carry (what SetScopes on the device service set; app calls it from its
// Admin). It bumps MetadataVersion and, while Run runs, announces the
// change with Hello, as WS-Discovery asks when a target's metadata changes.
func (d *Discovery) SetScopes(name, location string) {
	d.mu.Lock()
	if d.device.Name == name && d.device.Location == location {
		d.mu.Unlock()
		return
	}
	d.device.Name, d.device.Location = name, location
	d.metadata++
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// Ready is closed once the socket is bound and Hello was sent.
func (d *Discovery) Ready() <-chan struct{} { return d.ready }

// Addr is the bound UDP address once Ready is closed.
func (d *Discovery) Addr() net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addr
}

// Stats returns the counters.
func (d *Discovery) Stats() DiscoveryStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

func (d *Discovery) count(f func(*DiscoveryStats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// eligible lists the up interfaces with IPv4 that discovery may use.
func (d *Discovery) eligible() []NetInterface {
	var out []NetInterface
	for _, i := range d.cfg.Host.Interfaces() {
		if !i.Up || len(i.IPv4) == 0 {
			continue
		}
		if d.cfg.Only.IsValid() {
			carries := false
			for _, p := range i.IPv4 {
				carries = carries || p.Addr() == d.cfg.Only
			}
			if !carries {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}

// target describes the device as seen through one local address.
func (d *Discovery) target(local netip.Addr, hw string) target {
	d.mu.Lock()
	dev, metadata := d.device, d.metadata
	d.mu.Unlock()
	scopes := scopeItems(dev)
	if hw != "" {
		scopes = append(scopes, macScope(hw))
	}
	return target{
		endpoint: d.cfg.Endpoint,
		scopes:   scopes,
		xaddrs:   "http://" + net.JoinHostPort(local.String(), strconv.Itoa(d.cfg.HTTPPort())) + DevicePath,
		metadata: metadata,
	}
}

func (d *Discovery) header() wsdHeader {
	return wsdHeader{instance: d.instance, number: d.number.Add(1)}
}

// handle decides about one datagram from src that arrived on interface
// ifIndex: the reply and the local address to send it from, or ok false.
func (d *Discovery) handle(data []byte, src netip.AddrPort, ifIndex int) (reply []byte, local netip.Addr, ok bool) {
	d.count(func(s *DiscoveryStats) { s.Received++ })
	d.mu.Lock()
	var in *NetInterface
	for i := range d.ifaces {
		if d.ifaces[i].Index == ifIndex {
			in = &d.ifaces[i]
		}
	}
	d.mu.Unlock()
	sa := src.Addr().Unmap()
	if in != nil && sa.Is4() && !sa.IsMulticast() && !sa.IsUnspecified() && src.Port() != 0 {
		for _, p := range in.IPv4 {
			if p.Contains(sa) && sa != p.Masked().Addr() {
				local = p.Addr()
				break
			}
		}
	}
	if !local.IsValid() {
		d.count(func(s *DiscoveryStats) { s.OffLink++ })
		return nil, local, false
	}
	pr, err := parseProbe(data)
	if err != nil {
		d.count(func(s *DiscoveryStats) { s.Malformed++ })
		return nil, local, false
	}
	t := d.target(local, in.HwAddr)
	if !pr.matches(t.scopes) {
		d.count(func(s *DiscoveryStats) { s.NoMatch++ })
		return nil, local, false
	}
	if !d.limit.allow(sa, d.clk.Now()) {
		d.count(func(s *DiscoveryStats) { s.RateLimited++ })
		return nil, local, false
	}
	h := d.header()
	h.relatesTo = pr.messageID
	reply = probeMatches(h, t)
	d.count(func(s *DiscoveryStats) {
		s.Replied++
		s.BytesIn += uint64(len(data))
		s.BytesOut += uint64(len(reply))
	})
	return reply, local, true
}

// pending is a reply waiting for its random delay.
type pending struct {
	b    []byte
	to   netip.AddrPort
	from netip.Addr
	due  time.Time
}

// Run binds UDP, joins the group on every eligible interface, sends Hello,
// answers Probes until ctx ends, then sends Bye and returns after its
// goroutines exited.
func (d *Discovery) Run(ctx context.Context) error {
	lc := net.ListenConfig{Control: discoverySockopts}
	c, err := lc.ListenPacket(ctx, "udp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(d.cfg.Port)))
	if err != nil {
		return fmt.Errorf("onvif: discovery listen udp %d: %w", d.cfg.Port, err)
	}
	pc := ipv4.NewPacketConn(c)
	defer pc.Close()
	if err := pc.SetControlMessage(ipv4.FlagInterface|ipv4.FlagDst, true); err != nil {
		return fmt.Errorf("onvif: discovery control messages: %w", err)
	}
	_ = pc.SetMulticastTTL(1)          // link-local by design
	_ = pc.SetMulticastLoopback(false) // our own Hello and Bye are not for us
	d.mu.Lock()
	d.addr = c.LocalAddr()
	d.mu.Unlock()
	joined := map[int]bool{}
	d.rescan(pc, joined)
	close(d.ready)
	d.log.Info("ws-discovery listening", "port", d.cfg.Port, "interfaces", len(joined))

	queue := make(chan pending, discoveryQueue)
	var wg sync.WaitGroup
	sctx, stopSender := context.WithCancel(ctx)
	wg.Go(func() { d.sendLoop(sctx, pc, queue) })
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		d.readLoop(pc, queue)
	}()

	tick := d.clk.NewTicker(DefaultRescan)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-readDone:
			break loop
		case <-tick.C():
			d.rescan(pc, joined)
		case <-d.changed:
			d.announce(pc, hello)
		}
	}
	stopSender()
	wg.Wait()
	d.announce(pc, bye)
	pc.Close()
	<-readDone
	d.log.Info("ws-discovery stopped")
	return nil
}

// rescan joins the group on interfaces not joined yet and announces the
// device there with Hello.
func (d *Discovery) rescan(pc *ipv4.PacketConn, joined map[int]bool) {
	now := d.eligible()
	var fresh []NetInterface
	for _, i := range now {
		if joined[i.Index] {
			continue
		}
		ifi, err := net.InterfaceByIndex(i.Index)
		if err == nil {
			err = pc.JoinGroup(ifi, &net.UDPAddr{IP: DiscoveryGroup.AsSlice()})
		}
		if err != nil {
			d.log.Debug("ws-discovery: cannot join group", "interface", i.Name, "err", err)
			continue
		}
		joined[i.Index] = true
		fresh = append(fresh, i)
	}
	var keep []NetInterface
	for _, i := range now {
		if joined[i.Index] {
			keep = append(keep, i)
		}
	}
	d.mu.Lock()
	d.ifaces = keep
	d.mu.Unlock()
	d.announceOn(pc, fresh, hello)
}

func (d *Discovery) announce(pc *ipv4.PacketConn, msg func(wsdHeader, target) []byte) {
	d.mu.Lock()
	ifs := append([]NetInterface(nil), d.ifaces...)
	d.mu.Unlock()
	d.announceOn(pc, ifs, msg)
}

// announceOn multicasts msg (Hello or Bye) once on each interface.
func (d *Discovery) announceOn(pc *ipv4.PacketConn, ifs []NetInterface, msg func(wsdHeader, target) []byte) {
	group := &net.UDPAddr{IP: DiscoveryGroup.AsSlice(), Port: d.cfg.Port}
	for _, i := range ifs {
		ifi, err := net.InterfaceByIndex(i.Index)
		if err != nil {
			continue
		}
		if err := pc.SetMulticastInterface(ifi); err != nil {
			continue
		}
		b := msg(d.header(), d.target(i.IPv4[0].Addr(), i.HwAddr))
		if _, err := pc.WriteTo(b, nil, group); err != nil {
			d.log.Debug("ws-discovery: announce failed", "interface", i.Name, "err", err)
		}
	}
}

func (d *Discovery) readLoop(pc *ipv4.PacketConn, queue chan<- pending) {
	buf := make([]byte, 64<<10)
	for {
		n, cm, from, err := pc.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				d.log.Warn("ws-discovery: read", "err", err)
			}
			return
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok || cm == nil {
			continue
		}
		reply, local, ok := d.handle(buf[:n], ua.AddrPort(), cm.IfIndex)
		if !ok {
			continue
		}
		p := pending{b: reply, to: ua.AddrPort(), from: local, due: d.clk.Now()}
		if dst, ok := netip.AddrFromSlice(cm.Dst); ok && dst.Unmap().IsMulticast() && d.cfg.ReplyDelay > 0 {
			p.due = p.due.Add(rand.N(d.cfg.ReplyDelay))
		}
		select {
		case queue <- p:
		default:
			d.count(func(s *DiscoveryStats) { s.QueueFull++ })
		}
	}
}

func (d *Discovery) sendLoop(ctx context.Context, pc *ipv4.PacketConn, queue <-chan pending) {
	for {
		var p pending
		select {
		case <-ctx.Done():
			return
		case p = <-queue:
		}
		if wait := p.due.Sub(d.clk.Now()); wait > 0 {
			t := d.clk.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
		}
		cm := &ipv4.ControlMessage{Src: p.from.AsSlice()}
		if _, err := pc.WriteTo(p.b, cm, net.UDPAddrFromAddrPort(p.to)); err != nil {
			d.log.Debug("ws-discovery: reply failed", "to", p.to.String(), "err", err)
		}
	}
}
