package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

func (v *validator) mqtt(m MQTT) {
	if len(m.Brokers) > maxBrokers {
		v.bad("mqtt.brokers", "must list at most %d brokers, got %d", maxBrokers, len(m.Brokers))
	}
	tlsBroker := false
	for i, b := range m.Brokers {
		p := fmt.Sprintf("mqtt.brokers[%d]", i)
		u, err := url.Parse(b)
		switch {
		case err != nil || u.Host == "" || u.Port() == "":
			v.bad(p, "must be a URL with host and port such as \"mqtts://broker.example:8883\", got %s", quote(b))
		case u.User != nil:
			// Credentials in a URL end up in logs; they belong in username/password.
			v.bad(p, "must not carry credentials; use mqtt.username and mqtt.password")
		case u.Scheme == "mqtts" || u.Scheme == "ssl" || u.Scheme == "tls":
			tlsBroker = true
		case u.Scheme == "mqtt" || u.Scheme == "tcp":
		default:
			v.bad(p, "scheme must be mqtt, tcp, mqtts, ssl or tls, got %s", quote(u.Scheme))
		}
	}
	if len(m.Brokers) == 0 {
		host, port, err := net.SplitHostPort(m.EmbeddedListen)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !ip.IsLoopback() || port == "" {
			v.bad("mqtt.embedded_listen", "must be a loopback address such as \"127.0.0.1:1883\", got %s", quote(m.EmbeddedListen))
		}
	}
	if m.TopicPrefix == "" || len(m.TopicPrefix) > maxTopicPrefixLen || strings.ContainsFunc(m.TopicPrefix, notTopicRune) ||
		strings.HasPrefix(m.TopicPrefix, "/") || strings.HasSuffix(m.TopicPrefix, "/") || strings.Contains(m.TopicPrefix, "//") {
		v.bad("mqtt.topic_prefix", "must be 1 to %d letters, digits, '-', '_' or '.' in segments separated by '/', got %s", maxTopicPrefixLen, quote(m.TopicPrefix))
	}
	if m.Password != "" && m.Username == "" {
		v.bad("mqtt.password", "is set but mqtt.username is empty")
	}
	if (m.TLS.CertFile == "") != (m.TLS.KeyFile == "") {
		v.bad("mqtt.tls", "cert_file and key_file must be given together")
	}
	if !tlsBroker && (m.TLS.CAFile != "" || m.TLS.CertFile != "") {
		v.bad("mqtt.tls", "is configured but no broker uses mqtts://")
	}
	v.durationBetween("mqtt.keepalive", m.Keepalive, 2*time.Second, 5*time.Minute)
	v.durationBetween("mqtt.reconnect_min", m.ReconnectMin, 100*time.Millisecond, time.Minute)
	v.durationBetween("mqtt.reconnect_max", m.ReconnectMax, time.Second, time.Hour)
	if m.ReconnectMax < m.ReconnectMin {
		v.bad("mqtt.reconnect_max", "must not be less than mqtt.reconnect_min (%s), got %s", m.ReconnectMin, m.ReconnectMax)
	}
	v.durationBetween("mqtt.health_interval", m.HealthInterval, time.Second, time.Hour)
	v.between("mqtt.store_max", m.StoreMax, minMQTTStore, maxMQTTStore)
	v.between("mqtt.max_payload", m.MaxPayload, minMQTTPayload, maxMQTTPayload)
	if m.CommandKey != "" {
		if k, err := base64.StdEncoding.DecodeString(m.CommandKey); err != nil || len(k) != ed25519.PublicKeySize {
			v.bad("mqtt.command_key", "must be a base64 Ed25519 public key (%d bytes)", ed25519.PublicKeySize)
		}
	}
	v.durationBetween("mqtt.command_max_age", m.CommandMaxAge, time.Second, 10*time.Minute)
}

func (v *validator) durationBetween(path string, got, lo, hi time.Duration) {
	if got < lo || got > hi {
		v.bad(path, "must be between %s and %s, got %s", lo, hi, got)
	}
}

func notTopicRune(r rune) bool { return notIDRune(r) && r != '/' }
