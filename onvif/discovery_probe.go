package onvif

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
)

// WS-Discovery 2005/04 with WS-Addressing 2004/08, as ONVIF uses it.
const (
	nsWSD          = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	nsWSA          = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsDN           = "http://www.onvif.org/ver10/network/wsdl"
	wsdTo          = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
	wsaAnonymous   = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	actionProbe    = nsWSD + "/Probe"
	actionMatches  = nsWSD + "/ProbeMatches"
	actionHello    = nsWSD + "/Hello"
	actionBye      = nsWSD + "/Bye"
	matchRFC3986   = nsWSD + "/rfc3986"
	matchStrcmp0   = nsWSD + "/strcmp0"
	maxDatagram    = 8 << 10 // bytes; a real Probe is under 1 KiB
	maxMessageID   = 256     // bytes of a Probe's MessageID echoed in RelatesTo
	maxProbeTokens = 16      // Types or Scopes items in one Probe
)

// errNotProbe marks a datagram that is not a Probe we answer; the responder
// drops it silently, as WS-Discovery requires for multicast.
var errNotProbe = errors.New("onvif: not a WS-Discovery probe")

// probe is what a Probe asks for.
type probe struct {
	messageID string
	types     []xml.Name // namespace-resolved QNames
	scopes    []string
	matchBy   string
}

// parseProbe reads one datagram with the bounded parser (no DTD, depth,
// element and size limits) and returns the Probe in it.
func parseProbe(data []byte) (*probe, error) {
	if len(data) > maxDatagram {
		return nil, errTooLarge
	}
	root, err := parseTree(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if root.name.Space != nsSOAP12 || root.name.Local != "Envelope" {
		return nil, errNotProbe
	}
	header, body := root.child(nsSOAP12, "Header"), root.child(nsSOAP12, "Body")
	if body == nil || len(body.kids) != 1 {
		return nil, errNotProbe
	}
	pr := body.kids[0]
	if pr.name.Space != nsWSD || pr.name.Local != "Probe" {
		return nil, errNotProbe
	}
	if a := header.child(nsWSA, "Action"); a != nil && a.value() != actionProbe {
		return nil, errNotProbe
	}
	p := &probe{messageID: header.child(nsWSA, "MessageID").value()}
	if p.messageID == "" || len(p.messageID) > maxMessageID {
		return nil, errNotProbe
	}
	ns := map[string]string{}
	for _, n := range []*node{root, body, pr} {
		declare(ns, n)
	}
	if t := pr.child(nsWSD, "Types"); t != nil {
		declare(ns, t)
		words := strings.Fields(string(t.text))
		if len(words) > maxProbeTokens {
			return nil, errNotProbe
		}
		for _, w := range words {
			prefix, local, ok := strings.Cut(w, ":")
			if !ok {
				prefix, local = "", w
			}
			space, known := ns[prefix]
			if !known || local == "" {
				// An unresolvable QName matches none of our types.
				space = "\x00unbound"
			}
			p.types = append(p.types, xml.Name{Space: space, Local: local})
		}
	}
	if s := pr.child(nsWSD, "Scopes"); s != nil {
		p.scopes = strings.Fields(string(s.text))
		if len(p.scopes) > maxProbeTokens {
			return nil, errNotProbe
		}
		p.matchBy, _ = s.attrValue("MatchBy")
		p.matchBy = strings.TrimSpace(p.matchBy)
	}
	return p, nil
}

// declare adds n's namespace declarations to ns (prefix "" is the default).
func declare(ns map[string]string, n *node) {
	for _, a := range n.attr {
		switch {
		case a.Name.Space == "xmlns":
			ns[a.Name.Local] = a.Value
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ns[""] = a.Value
		}
	}
}

// ourTypes are the types a ProbeMatch announces.
var ourTypes = []xml.Name{{Space: nsDN, Local: "NetworkVideoTransmitter"}, {Space: nsTDS, Local: "Device"}}

// matches reports whether a target with our types and the given scopes
// answers p: every requested type and every requested scope must be ours
// (an empty list matches).
func (p *probe) matches(scopes []string) bool {
	for _, t := range p.types {
		found := false
		for _, o := range ourTypes {
			found = found || t == o
		}
		if !found {
			return false
		}
	}
	for _, want := range p.scopes {
		found := false
		for _, have := range scopes {
			switch p.matchBy {
			case "", matchRFC3986:
				found = found || scopeMatchRFC3986(want, have)
			case matchStrcmp0:
				found = found || want == have
			default:
				return false // unsupported rule: WS-Discovery says do not match
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// scopeMatchRFC3986 is the WS-Discovery rfc3986 rule: scheme and authority
// equal ignoring case, and the requested path a segment-wise prefix of ours.
func scopeMatchRFC3986(want, have string) bool {
	w, err1 := url.Parse(want)
	h, err2 := url.Parse(have)
	if err1 != nil || err2 != nil || w.RawQuery != "" || w.Fragment != "" {
		return false
	}
	if !strings.EqualFold(w.Scheme, h.Scheme) || !strings.EqualFold(w.Host, h.Host) || w.User != nil {
		return false
	}
	ws := segments(w.EscapedPath())
	hs := segments(h.EscapedPath())
	if len(ws) > len(hs) {
		return false
	}
	for i := range ws {
		if ws[i] != hs[i] {
			return false
		}
	}
	return true
}

func segments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
