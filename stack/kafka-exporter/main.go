// edgestream-kafka-exporter serves topic offsets and consumer-group lag of
// one Kafka cluster as Prometheus metrics, for the local edge stack.
//
// Why it exists: production runs the community kafka_exporter next to the
// brokers, but that program cannot be fetched here, so the local stack runs
// this small stand-in. It serves the subset of kafka_exporter's metric names
// and labels that edgestream's dashboards, alerts and KEDA triggers use, so
// the same queries work against both:
//
//	kafka_brokers
//	kafka_topic_partitions{topic}
//	kafka_topic_partition_current_offset{topic,partition}   (high watermark)
//	kafka_topic_partition_oldest_offset{topic,partition}    (log start)
//	kafka_consumergroup_members{consumergroup}
//	kafka_consumergroup_current_offset{consumergroup,topic,partition}
//	kafka_consumergroup_lag{consumergroup,topic,partition}
//	kafka_consumergroup_lag_sum{consumergroup,topic}
//
// Every scrape asks the cluster afresh (bounded by --scrape-timeout), so a
// value is never older than the scrape that returned it. When the cluster
// cannot be listed, the scrape still answers, with
// edgestream_kafka_exporter_scrape_success 0 and the error in the log; a
// partition or group that cannot be read (say, a topic being deleted) is
// left out of that scrape and logged.
//
// On the local stack it connects like every other client: TLS checked
// against the stack's CA (--tls.ca-file) and SCRAM-SHA-512 as the
// kafka-exporter principal (--sasl.username, --sasl.password-file), which
// may describe every topic and group and nothing more.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

var (
	brokersDesc = prometheus.NewDesc("kafka_brokers",
		"Number of brokers in the cluster.", nil, nil)
	topicPartitionsDesc = prometheus.NewDesc("kafka_topic_partitions",
		"Number of partitions of the topic.", []string{"topic"}, nil)
	currentOffsetDesc = prometheus.NewDesc("kafka_topic_partition_current_offset",
		"High watermark of the partition (offset of the next record).",
		[]string{"topic", "partition"}, nil)
	oldestOffsetDesc = prometheus.NewDesc("kafka_topic_partition_oldest_offset",
		"Log start offset of the partition.", []string{"topic", "partition"}, nil)
	groupMembersDesc = prometheus.NewDesc("kafka_consumergroup_members",
		"Number of members of the consumer group.", []string{"consumergroup"}, nil)
	groupOffsetDesc = prometheus.NewDesc("kafka_consumergroup_current_offset",
		"Offset the consumer group committed for the partition.",
		[]string{"consumergroup", "topic", "partition"}, nil)
	groupLagDesc = prometheus.NewDesc("kafka_consumergroup_lag",
		"High watermark minus the group's committed offset (records).",
		[]string{"consumergroup", "topic", "partition"}, nil)
	groupLagSumDesc = prometheus.NewDesc("kafka_consumergroup_lag_sum",
		"Sum of kafka_consumergroup_lag over the topic's partitions.",
		[]string{"consumergroup", "topic"}, nil)
	scrapeSuccessDesc = prometheus.NewDesc("edgestream_kafka_exporter_scrape_success",
		"1 if the last scrape could list brokers, topics and groups, else 0 (see the exporter's log); single partitions that cannot be read are skipped and logged.",
		nil, nil)
	scrapeDurationDesc = prometheus.NewDesc("edgestream_kafka_exporter_scrape_duration_seconds",
		"Time the last scrape spent asking the cluster.", nil, nil)
)

// collector reads the cluster on every Collect call; the registry serialises
// calls per HTTP request, and concurrent scrapes share only the thread-safe
// kadm client.
type collector struct {
	admin   *kadm.Client
	timeout time.Duration
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{brokersDesc, topicPartitionsDesc, currentOffsetDesc,
		oldestOffsetDesc, groupMembersDesc, groupOffsetDesc, groupLagDesc, groupLagSumDesc,
		scrapeSuccessDesc, scrapeDurationDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	err := c.collect(ctx, ch)
	success := 1.0
	if err != nil {
		success = 0
		log.Printf("scrape failed: %v", err)
	}
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, success)
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue,
		time.Since(start).Seconds())
}

func gauge(ch chan<- prometheus.Metric, desc *prometheus.Desc, value float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, value, labels...)
}

func (c *collector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	brokers, err := c.admin.ListBrokers(ctx)
	if err != nil {
		return fmt.Errorf("list brokers: %w", err)
	}
	gauge(ch, brokersDesc, float64(len(brokers)))

	// Internal topics (__consumer_offsets, __transaction_state) are left out,
	// as kafka_exporter does by default.
	topics, err := c.admin.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	var names []string
	for _, detail := range topics.Sorted() {
		// Tests create and delete topics all the time; one that is half
		// created or half deleted is skipped, not a failed scrape.
		if detail.Err != nil {
			continue
		}
		names = append(names, detail.Topic)
		gauge(ch, topicPartitionsDesc, float64(len(detail.Partitions)), detail.Topic)
	}
	if len(names) > 0 {
		c.offsets(ctx, ch, currentOffsetDesc, "end", names, c.admin.ListEndOffsets)
		c.offsets(ctx, ch, oldestOffsetDesc, "start", names, c.admin.ListStartOffsets)
	}

	groups, err := c.admin.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	if len(groups) == 0 {
		return nil
	}
	lags, err := c.admin.Lag(ctx, groups.Groups()...)
	if err != nil {
		return fmt.Errorf("group lag: %w", err)
	}
	for _, group := range lags.Sorted() {
		if group.Error() != nil {
			log.Printf("group %s skipped: %v", group.Group, group.Error())
			continue
		}
		gauge(ch, groupMembersDesc, float64(len(group.Members)), group.Group)
		for topic, partitions := range group.Lag {
			var sum int64
			for partition, lag := range partitions {
				// A partition without a commit has nothing to report as the
				// group's offset; its lag (from the log start) still counts.
				if lag.Commit.At >= 0 {
					gauge(ch, groupOffsetDesc, float64(lag.Commit.At), group.Group, topic,
						strconv.Itoa(int(partition)))
				}
				if lag.Err != nil || lag.Lag < 0 {
					continue
				}
				gauge(ch, groupLagDesc, float64(lag.Lag), group.Group, topic, strconv.Itoa(int(partition)))
				sum += lag.Lag
			}
			gauge(ch, groupLagSumDesc, float64(sum), group.Group, topic)
		}
	}
	return nil
}

// offsets reports one offset per partition. Partitions that fail (a topic
// deleted since it was listed, a leader moving) are skipped and logged; the
// others are still reported.
func (c *collector) offsets(ctx context.Context, ch chan<- prometheus.Metric, desc *prometheus.Desc,
	which string, topics []string,
	list func(context.Context, ...string) (kadm.ListedOffsets, error)) {
	listed, err := list(ctx, topics...)
	if err != nil {
		var shardErrors *kadm.ShardErrors
		if !errors.As(err, &shardErrors) {
			log.Printf("list %s offsets: %v", which, err)
			return
		}
	}
	listed.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			log.Printf("list %s offset of %s[%d]: %v", which, o.Topic, o.Partition, o.Err)
			return
		}
		gauge(ch, desc, float64(o.Offset), o.Topic, strconv.Itoa(int(o.Partition)))
	})
}

// securityOptions connects over TLS (the broker's certificate checked
// against caFile and the broker's host name or IP) when caFile is set, and
// logs in with SCRAM-SHA-512 when username is set. The password is read
// from a file so that it shows neither in ps nor in the log.
func securityOptions(caFile, username, passwordFile string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading --tls.ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls.ca-file %s holds no PEM certificate", caFile)
		}
		// DialTLSConfig fills an empty ServerName with the host dialled, so
		// the certificate is checked against 127.0.0.1 / the broker's name.
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	}
	if username != "" {
		raw, err := os.ReadFile(passwordFile)
		if err != nil {
			return nil, fmt.Errorf("reading --sasl.password-file: %w", err)
		}
		password := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
		if password == "" {
			return nil, fmt.Errorf("--sasl.password-file %s is empty", passwordFile)
		}
		opts = append(opts, kgo.SASL(scram.Auth{User: username, Pass: password}.AsSha512Mechanism()))
	}
	return opts, nil
}

func main() {
	bootstrap := flag.String("kafka.server", "127.0.0.1:19092", "bootstrap servers, comma-separated")
	listen := flag.String("web.listen-address", "127.0.0.1:19308", "address of the /metrics endpoint")
	timeout := flag.Duration("scrape-timeout", 5*time.Second, "bound on one scrape's questions to Kafka")
	caFile := flag.String("tls.ca-file", "", "PEM file of the CA that signed the broker's certificate; set: connect over TLS")
	username := flag.String("sasl.username", "", "SCRAM-SHA-512 user name; set: log in with SASL")
	passwordFile := flag.String("sasl.password-file", "", "file holding the SASL password")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.LUTC)

	security, err := securityOptions(*caFile, *username, *passwordFile)
	if err != nil {
		log.Fatalf("Kafka security settings: %v", err)
	}
	client, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(*bootstrap, ",")...),
		kgo.ClientID("edgestream-kafka-exporter")}, security...)...)
	if err != nil {
		log.Fatalf("kafka client for %s: %v; check --kafka.server", *bootstrap, err)
	}
	defer client.Close()

	registry := prometheus.NewRegistry()
	registry.MustRegister(&collector{admin: kadm.NewClient(client), timeout: *timeout})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	server := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	}()
	log.Printf("serving metrics of Kafka %s on http://%s/metrics", *bootstrap, *listen)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatalf("listen on %s: %v; is the port taken? set EDGESTREAM_KAFKA_EXPORTER_PORT", *listen, err)
	}
}
