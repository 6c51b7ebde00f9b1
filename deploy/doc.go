// Package deploy holds what a hospital runs medchain with: Prometheus alert
// rules, a Grafana dashboard and systemd units. Its test checks that every
// metric they name is one medchaind or its vault exports.
package deploy
