package onvif

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// Prefixes used in responses; declared once on the Envelope.
const (
	nsTDS = "http://www.onvif.org/ver10/device/wsdl"
	nsTRT = "http://www.onvif.org/ver10/media/wsdl"
	nsTT  = "http://www.onvif.org/ver10/schema"
)

func envelopeStart(v soapVersion) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<env:Envelope xmlns:env="` + v.ns() + `" xmlns:ter="` + nsTER + `" xmlns:tds="` + nsTDS +
		`" xmlns:trt="` + nsTRT + `" xmlns:tt="` + nsTT + `">` + "\n<env:Body>\n"
}

const envelopeEnd = "\n</env:Body>\n</env:Envelope>\n"

// render returns the whole envelope around body.
func render(v soapVersion, body any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(envelopeStart(v))
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	b.WriteString(envelopeEnd)
	return b.Bytes(), nil
}

func (s *Server) writeResponse(w http.ResponseWriter, v soapVersion, body any) {
	b, err := render(v, body)
	if err != nil {
		s.log.Error("onvif: cannot encode response", "err", err)
		s.writeFault(w, v, asFault(err), nil)
		return
	}
	write(w, v, http.StatusOK, b)
}

func (s *Server) writeFault(w http.ResponseWriter, v soapVersion, f *Fault, challenges []string) {
	s.n.faults.Add(1)
	for _, c := range challenges {
		w.Header().Add("WWW-Authenticate", c)
	}
	b, err := render(v, faultBody(v, f))
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	write(w, v, f.Status, b)
}

func write(w http.ResponseWriter, v soapVersion, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", v.contentType())
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// SOAP 1.2 fault.
type fault12 struct {
	XMLName xml.Name    `xml:"env:Fault"`
	Code    faultCode   `xml:"env:Code"`
	Reason  faultReason `xml:"env:Reason"`
}

type faultCode struct {
	Value   string     `xml:"env:Value"`
	Subcode *faultCode `xml:"env:Subcode,omitempty"`
}

type faultReason struct {
	Text faultText `xml:"env:Text"`
}

type faultText struct {
	Lang string `xml:"xml:lang,attr"`
	Text string `xml:",chardata"`
}

// SOAP 1.1 fault: faultcode Client/Server, the ter subcodes in faultstring's
// place are lost, so the reason carries the meaning.
type fault11 struct {
	XMLName xml.Name `xml:"env:Fault"`
	Code    string   `xml:"faultcode"`
	String  string   `xml:"faultstring"`
}

func faultBody(v soapVersion, f *Fault) any {
	if v == soap11 {
		code := "env:Server"
		switch f.Code {
		case "Sender":
			code = "env:Client"
		case "VersionMismatch":
			code = "env:VersionMismatch"
		}
		return fault11{Code: code, String: f.Reason}
	}
	fc := faultCode{Value: "env:" + f.Code}
	p := &fc
	for _, sc := range f.Subcodes {
		p.Subcode = &faultCode{Value: "ter:" + sc}
		p = p.Subcode
	}
	return fault12{Code: fc, Reason: faultReason{Text: faultText{Lang: "en", Text: f.Reason}}}
}
