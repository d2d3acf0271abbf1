package onvif

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// target is what one announcement or match says about the device on one
// interface.
type target struct {
	endpoint string // urn:uuid:… — stable, the same on every interface
	scopes   []string
	xaddrs   string // space-separated device-service URLs
	metadata int
}

// wsdHeader is one message's addressing header.
type wsdHeader struct {
	action, to, relatesTo string
	instance, number      uint64
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // strings.Builder never fails
	return b.String()
}

// wsdMessage renders one SOAP 1.2 discovery envelope with body inside.
func wsdMessage(h wsdHeader, body string) []byte {
	var b strings.Builder
	b.Grow(1024 + len(body))
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<s:Envelope xmlns:s="` + nsSOAP12 + `" xmlns:a="` + nsWSA + `" xmlns:d="` + nsWSD +
		`" xmlns:dn="` + nsDN + `" xmlns:tds="` + nsTDS + `"><s:Header>`)
	b.WriteString(`<a:MessageID>` + newURN() + `</a:MessageID>`)
	if h.relatesTo != "" {
		b.WriteString(`<a:RelatesTo>` + esc(h.relatesTo) + `</a:RelatesTo>`)
	}
	b.WriteString(`<a:To>` + h.to + `</a:To><a:Action>` + h.action + `</a:Action>`)
	fmt.Fprintf(&b, `<d:AppSequence InstanceId="%d" MessageNumber="%d"/>`, h.instance, h.number)
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return []byte(b.String())
}

// targetBody is the content shared by ProbeMatch and Hello.
func (t target) body() string {
	return `<a:EndpointReference><a:Address>` + esc(t.endpoint) + `</a:Address></a:EndpointReference>` +
		`<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
		`<d:Scopes>` + esc(strings.Join(t.scopes, " ")) + `</d:Scopes>` +
		`<d:XAddrs>` + esc(t.xaddrs) + `</d:XAddrs>` +
		`<d:MetadataVersion>` + strconv.Itoa(t.metadata) + `</d:MetadataVersion>`
}

func probeMatches(h wsdHeader, t target) []byte {
	h.action, h.to = actionMatches, wsaAnonymous
	return wsdMessage(h, `<d:ProbeMatches><d:ProbeMatch>`+t.body()+`</d:ProbeMatch></d:ProbeMatches>`)
}

func hello(h wsdHeader, t target) []byte {
	h.action, h.to = actionHello, wsdTo
	return wsdMessage(h, `<d:Hello>`+t.body()+`</d:Hello>`)
}

func bye(h wsdHeader, t target) []byte {
	h.action, h.to = actionBye, wsdTo
	return wsdMessage(h, `<d:Bye><a:EndpointReference><a:Address>`+esc(t.endpoint)+
		`</a:Address></a:EndpointReference></d:Bye>`)
}

// newURN is a random (version 4) urn:uuid for a MessageID.
func newURN() string {
	var u [16]byte
	rand.Read(u[:]) //nolint:errcheck // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return "urn:uuid:" + formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
