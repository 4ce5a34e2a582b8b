// probe is the local cluster's test workload, built locally because no image
// registry is reachable. One static binary, three commands:
//
//	probe serve  -listen :8080 -body TEXT       HTTP server answering TEXT on every path
//	probe get    -url URL -expect TEXT          fetch URL, fail unless the body is exactly TEXT
//	probe connect -address HOST:PORT            open a TCP connection, fail if it cannot
//
// get and connect retry a failed connection (not a wrong body) for up to
// -retry-for: a Service's forwarding rules follow its endpoints by a moment,
// and a pod that starts in that moment is refused once.
//
// get and connect resolve names with the pure-Go resolver (the binary is
// built without cgo), which reads the pod's /etc/resolv.conf: a name that
// resolves proves the cluster DNS answers. get compares the whole body, not
// only the status, because something upstream of this machine may answer
// plain-HTTP requests on its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve|get|connect [flags]")
	}
	command, args := os.Args[1], os.Args[2:]
	switch command {
	case "serve":
		serve(args)
	case "get":
		get(args)
	case "connect":
		connect(args)
	default:
		fail("probe: unknown command %q; use serve, get or connect", command)
	}
}

func serve(args []string) {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := flags.String("listen", ":8080", "address to listen on")
	body := flags.String("body", "", "text every request is answered with")
	_ = flags.Parse(args)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, *body)
	})
	server := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("probe: serving on %s\n", *listen)
	fail("probe: server stopped: %v", server.ListenAndServe())
}

func get(args []string) {
	flags := flag.NewFlagSet("get", flag.ExitOnError)
	url := flags.String("url", "", "URL to fetch")
	expect := flags.String("expect", "", "exact body the response must have")
	timeout := flags.Duration("timeout", 10*time.Second, "time allowed for one request")
	retryFor := flags.Duration("retry-for", 0, "how long to retry a request that gets no response")
	_ = flags.Parse(args)
	client := http.Client{Timeout: *timeout}
	var response *http.Response
	err := retry(*retryFor, func() (err error) {
		response, err = client.Get(*url)
		return err
	})
	if err != nil {
		fail("probe: GET %s failed: %v", *url, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err != nil {
		fail("probe: reading the body of %s failed: %v", *url, err)
	}
	if response.StatusCode != http.StatusOK || string(body) != *expect {
		fail("probe: GET %s answered %d with body %q; expected 200 with %q",
			*url, response.StatusCode, truncate(string(body)), *expect)
	}
	fmt.Printf("probe: GET %s answered the expected body\n", *url)
}

func connect(args []string) {
	flags := flag.NewFlagSet("connect", flag.ExitOnError)
	address := flags.String("address", "", "host:port to open a TCP connection to")
	timeout := flags.Duration("timeout", 10*time.Second, "time allowed for one attempt to resolve and connect")
	retryFor := flags.Duration("retry-for", 0, "how long to retry a failed connection")
	_ = flags.Parse(args)
	var connection net.Conn
	err := retry(*retryFor, func() (err error) {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		var dialer net.Dialer
		connection, err = dialer.DialContext(ctx, "tcp", *address)
		return err
	})
	if err != nil {
		fail("probe: TCP connect to %s failed: %v", *address, err)
	}
	fmt.Printf("probe: TCP connect to %s (%s) succeeded\n", *address, connection.RemoteAddr())
	_ = connection.Close()
}

// retry calls attempt until it succeeds or period has passed, and returns
// its last error.
func retry(period time.Duration, attempt func() error) error {
	deadline := time.Now().Add(period)
	for {
		err := attempt()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		fmt.Fprintf(os.Stderr, "probe: %v; retrying\n", err)
		time.Sleep(500 * time.Millisecond)
	}
}

func truncate(text string) string {
	if len(text) > 200 {
		return text[:200] + "..."
	}
	return text
}

func fail(format string, values ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", values...)
	os.Exit(1)
}
