package config

import "testing"

func TestMQTTValidation(t *testing.T) {
	c := mustParse(t, `mqtt:
  brokers: ["mqtt://user:pw@broker:1883", "ftp://broker:21", "broker"]
  topic_prefix: "/bad/"
  password: secret
  tls:
    cert_file: c.pem
  keepalive: 1s
  reconnect_min: 2s
  reconnect_max: 1s
  store_max: 1
  max_payload: 10
  command_key: "not base64"
`)
	checkProblems(t, c.Validate(), []want{
		{"mqtt.brokers[0]", 2, "must not carry credentials"},
		{"mqtt.brokers[1]", 2, "scheme must be"},
		{"mqtt.brokers[2]", 2, "must be a URL"},
		{"mqtt.topic_prefix", 3, "segments separated by '/'"},
		{"mqtt.password", 4, "mqtt.username is empty"},
		{"mqtt.tls", 5, "cert_file and key_file"},
		{"mqtt.tls", 5, "no broker uses mqtts"},
		{"mqtt.keepalive", 7, "between 2s and 5m0s"},
		{"mqtt.reconnect_max", 9, "must not be less than"},
		{"mqtt.store_max", 10, "between 16 and 100000"},
		{"mqtt.max_payload", 11, "between 1024 and 1048576"},
		{"mqtt.command_key", 12, "Ed25519"},
	})
	c = mustParse(t, "mqtt:\n  embedded_listen: \"0.0.0.0:1883\"\n")
	checkProblems(t, c.Validate(), []want{{"mqtt.embedded_listen", 2, "loopback"}})
	c = mustParse(t, "device:\n  id: fleet\n")
	checkProblems(t, c.Validate(), []want{{"device.id", 2, "reserved"}})
}
