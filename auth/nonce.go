package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
	"time"
)

// Nonce layout: base64url-unpadded(stamp || mac), where stamp is 8 bytes
// big-endian nanoseconds since the Digest was created and mac is the first
// 16 bytes of HMAC-SHA256(key, nonceDomain || stamp || remote address).
//
// The stamp is measured from d.epoch with Time.Sub, which uses the monotonic
// clock reading when the clock provides one (clock.Real does): stepping the
// wall clock (NTP, a manual SetSystemDateAndTime) neither expires outstanding
// nonces nor revives old ones. Nonces do not survive a restart (new key),
// which only costs clients one extra 401.
const (
	nonceStampLen = 8
	nonceMACLen   = 16 // 128-bit tag: forging one is out of reach
	nonceRawLen   = nonceStampLen + nonceMACLen
)

var (
	nonceLen    = base64.RawURLEncoding.EncodedLen(nonceRawLen) // 32 characters
	nonceDomain = []byte("camagent/auth digest nonce v1\x00")
	opaqueLabel = []byte("camagent/auth digest opaque v1\x00")
)

type nonceRaw [nonceRawLen]byte

// ncEntry tracks the highest nonce count seen for one nonce.
type ncEntry struct {
	nc  uint32
	exp int64 // stamp + TTL; the entry is useless after this
}

// stamp converts a clock reading to the nonce time base.
func (d *Digest) stamp(now time.Time) int64 { return int64(now.Sub(d.epoch)) }

func (d *Digest) nonceMAC(stamp []byte, remote netip.Addr) [sha256.Size]byte {
	m := hmac.New(sha256.New, d.key[:])
	m.Write(nonceDomain)
	m.Write(stamp)
	// Unmap: a dual-stack listener may report an IPv4 client as ::ffff:a.b.c.d
	// on one connection and a.b.c.d on another; it is the same client.
	// The zone is kept: fe80::1%eth0 and fe80::1%eth1 are different hosts.
	ab, _ := remote.Unmap().MarshalBinary() // never fails; invalid -> empty
	m.Write(ab)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}

// mintNonce returns a fresh nonce bound to remote and the current time.
func (d *Digest) mintNonce(remote netip.Addr) string {
	var raw nonceRaw
	binary.BigEndian.PutUint64(raw[:nonceStampLen], uint64(d.stamp(d.clk.Now())))
	mac := d.nonceMAC(raw[:nonceStampLen], remote)
	copy(raw[nonceStampLen:], mac[:nonceMACLen])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// openNonce checks that nonce was minted by d for remote and returns its raw
// bytes and stamp. It does not check age.
func (d *Digest) openNonce(nonce string, remote netip.Addr) (nonceRaw, int64, bool) {
	var raw nonceRaw
	if len(nonce) != nonceLen {
		return raw, 0, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(raw[:], []byte(nonce))
	if err != nil || n != nonceRawLen {
		return raw, 0, false
	}
	mac := d.nonceMAC(raw[:nonceStampLen], remote)
	if !hmac.Equal(mac[:nonceMACLen], raw[nonceStampLen:]) {
		return raw, 0, false
	}
	return raw, int64(binary.BigEndian.Uint64(raw[:nonceStampLen])), true
}

// checkFresh rejects an expired nonce and, when track is set, enforces a
// strictly increasing nonce count for it. It is called only after the
// response has been verified, so unauthenticated clients cannot fill the
// table or advance a legitimate client's counter.
//
// Age is checked under the same lock, with the same clock reading, as
// pruning: readings taken under the lock never decrease, so an entry is never
// pruned while its nonce can still pass the age check (which would let a
// replay in as a "first use").
func (d *Digest) checkFresh(raw nonceRaw, stamp int64, nc uint32, track bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.stamp(d.clk.Now())
	exp := stamp + int64(d.ttl)
	if stamp < 0 || stamp > now || now > exp {
		// stamp > now cannot happen with a monotonic clock; if it does,
		// asking the client for a fresh nonce is the safe answer.
		return ErrStale
	}
	if !track {
		return nil
	}
	if e, ok := d.nc[raw]; ok {
		if nc <= e.nc {
			return ErrReplay
		}
		e.nc = nc
		d.nc[raw] = e
		return nil
	}
	if len(d.nc) >= d.maxNC || (now-d.lastPrune >= int64(d.ttl) && now > d.minExp) {
		d.pruneLocked(now)
	}
	if len(d.nc) >= d.maxNC {
		return ErrBusy
	}
	if len(d.nc) == 0 || exp < d.minExp {
		d.minExp = exp
	}
	d.nc[raw] = ncEntry{nc: nc, exp: exp}
	return nil
}

// pruneLocked drops entries whose nonce has expired. It scans only when the
// oldest entry has expired, so a full table of live nonces costs nothing.
func (d *Digest) pruneLocked(now int64) {
	d.lastPrune = now
	if len(d.nc) == 0 || now <= d.minExp {
		return
	}
	minExp := int64(-1)
	for k, e := range d.nc {
		if now > e.exp {
			delete(d.nc, k)
			continue
		}
		if minExp < 0 || e.exp < minExp {
			minExp = e.exp
		}
	}
	d.minExp = minExp
}

// activeNonces reports the size of the nonce-count table (tests).
func (d *Digest) activeNonces() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.nc)
}
