package metrics

import "github.com/prometheus/client_golang/prometheus"

// WebhookResults registers allmyleads_webhook_deliveries_total by result
// (delivered, retry, failed) and returns what the webhook deliverer calls
// after each attempt. Call it once.
func (m *Metrics) WebhookResults() func(result string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "webhook_deliveries_total",
		Help: "Webhook delivery attempts to the business's systems, by result (delivered, retry, failed)."}, []string{"result"})
	m.reg.MustRegister(c)
	results := []string{"delivered", "retry", "failed"}
	for _, r := range results {
		c.WithLabelValues(r)
	}
	return func(result string) {
		for _, r := range results {
			if r == result {
				c.WithLabelValues(r).Inc()
				return
			}
		}
	}
}
