package e2e

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"costbot/internal/awstest"
	"costbot/internal/storetest"
	"costbot/internal/tgtest"
)

// replica is one `costbot run` process of a replica set on one PostgreSQL database.
type replica struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
	http   string
}

func startReplica(tb testing.TB, env []string) *replica {
	tb.Helper()
	r := &replica{logs: &syncBuffer{}, exited: make(chan error, 1), http: freeAddrTB(tb)}
	r.cmd = exec.Command(costbotBinary(tb), "run")
	r.cmd.Dir = tb.TempDir()
	r.cmd.Env = append(append([]string{}, env...), "HTTP_ADDR="+r.http)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	tb.Cleanup(func() { r.cmd.Process.Kill() })
	return r
}

func freeAddrTB(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}

// leads tells whether the replica took the lease (its log says so when it does).
func (r *replica) leads() bool { return strings.Contains(r.logs.String(), "this replica leads") }

func (r *replica) pid() int { return r.cmd.Process.Pid }

// get fetches path from the replica's HTTP server, waiting for it to listen.
func (r *replica) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	resp, err := http.Get("http://" + r.http + path)
	for err != nil && time.Now().Before(deadline) {
		select {
		case exit := <-r.exited:
			tb.Fatalf("replica %d exited (%v)\n%s", r.pid(), exit, r.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		resp, err = http.Get("http://" + r.http + path)
	}
	if err != nil {
		tb.Fatalf("GET %s from replica %d: %v\n%s", path, r.pid(), err, r.logs.String())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// awaitLeader returns the one replica of rs that leads, once one does; it fails when
// none does by the deadline or when two do.
func awaitLeader(tb testing.TB, rs []*replica, deadline time.Time) *replica {
	tb.Helper()
	for {
		var leaders []*replica
		for _, r := range rs {
			if r.leads() {
				leaders = append(leaders, r)
			}
		}
		switch {
		case len(leaders) == 1:
			return leaders[0]
		case len(leaders) > 1:
			tb.Fatalf("%d replicas lead at once", len(leaders))
		case time.Now().After(deadline):
			var logs []string
			for _, r := range rs {
				logs = append(logs, r.logs.String())
			}
			tb.Fatalf("no replica leads\n%s", strings.Join(logs, "\n---\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replicaEnv is the environment of replicas sharing the database at dbURL.
func replicaEnv(tb testing.TB, tg *tgtest.Server, dbURL, lightsailURL string, extra ...string) []string {
	return cleanEnv(append([]string{
		"TELEGRAM_BOT_TOKEN=" + tg.Token(), "TELEGRAM_API_URL=" + tg.URL(), "TELEGRAM_CHAT_IDS=4242", "BOT_LANG=en",
		"DB_URL=" + dbURL, "DB_PATH=" + filepath.Join(tb.TempDir(), "unused.db"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1", "AWS_ENDPOINT_URL_LIGHTSAIL=" + lightsailURL,
		"COST_REGIONS=us-east-1", "COST_SERVICES=ec2", "LIGHTSAIL_REGIONS=us-east-1",
	}, extra...)...)
}

// holdingProxy passes Lightsail calls through, but holds the answer to every
// StopInstance the fake has carried out until release is closed: a replica killed
// meanwhile dies in the middle of its guard check, the stop done and not yet recorded.
func holdingProxy(tb testing.TB, target string) (proxyURL string, release func()) {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	hold := make(chan struct{})
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the killed replica's held call ends in an error
	rp.ModifyResponse = func(resp *http.Response) error {
		if strings.HasSuffix(resp.Request.Header.Get("X-Amz-Target"), ".StopInstance") {
			select {
			case <-hold:
			case <-resp.Request.Context().Done():
			}
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	tb.Cleanup(srv.Close)
	var released bool
	return srv.URL, func() {
		if !released {
			released = true
			close(hold)
		}
	}
}

// costReply waits for the answer to a /cost sent at or after since.
func costReply(tb testing.TB, tg *tgtest.Server, since time.Time, timeout time.Duration) tgtest.Call {
	tb.Helper()
	return tg.WaitCall(tb, "sendMessage", func(c tgtest.Call) bool {
		return c.At.After(since) && c.Params["chat_id"] == "4242" &&
			(strings.Contains(c.Params["text"], "AWS cost right now") || strings.Contains(c.Params["text"], "No cost data yet"))
	}, timeout)
}

// TestReplicasFailOverMidGuardCheck is issue 15's replica promise. Three `costbot run`
// on one PostgreSQL database with the default lease: one leads and alone polls
// Telegram; every replica serves /healthz and /metrics. The leader is SIGKILLed in the
// middle of a guard check, after Lightsail carried its stop out and before it recorded
// it; a follower takes over, answers /cost within 20 s of the kill, finds the stop done
// instead of stopping again, and pushes it once. /status names the new leader, and a
// SIGTERMed leader hands over at once.
func TestReplicasFailOverMidGuardCheck(t *testing.T) {
	db := storetest.PostgresURL(t)
	tg := tgtest.New(t)
	ls := awstest.StartLightsail(t)
	ls.AddUsedInstance("us-east-1", "web", time.Now(), 97) // over the 95 % stop threshold
	lsURL, release := holdingProxy(t, ls.URL)
	defer release()
	env := replicaEnv(t, tg, db, lsURL)

	rs := []*replica{startReplica(t, env), startReplica(t, env), startReplica(t, env)}
	first := awaitLeader(t, rs, time.Now().Add(30*time.Second))
	tg.WaitCall(t, "getUpdates", nil, 20*time.Second)

	// Every replica serves HTTP; only the leader counts as leading.
	for _, r := range rs {
		code, _ := r.get(t, "/healthz")
		_, metrics := r.get(t, "/metrics")
		want := "costbot_leader 0"
		if r == first {
			want = "costbot_leader 1"
		}
		if code != http.StatusOK || !strings.Contains(metrics, want) {
			t.Errorf("replica %d (leader %v): /healthz %d, /metrics lacks %q", r.pid(), r == first, code, want)
		}
	}

	// The leader's guard check reaches the stop; Lightsail carries it out and the answer
	// is held, so the kill lands before the leader records it.
	deadline := time.Now().Add(30 * time.Second)
	for len(ls.Calls("StopInstance")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the leader's guard never stopped the instance\n%s", first.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killed := time.Now()
	release()
	tg.SendMessage(4242, 4242, "/cost")

	reply := costReply(t, tg, killed, 20*time.Second)
	t.Logf("/cost answered %v after the leader was killed", reply.At.Sub(killed).Round(10*time.Millisecond))
	followers := []*replica{rs[1], rs[2]}
	if first == rs[1] {
		followers = []*replica{rs[0], rs[2]}
	} else if first == rs[2] {
		followers = []*replica{rs[0], rs[1]}
	}
	second := awaitLeader(t, followers, time.Now())

	stopPush := func(c tgtest.Call) bool { return strings.Contains(c.Params["text"], "Lightsail instance stopped") }
	if push := tg.WaitCall(t, "sendMessage", stopPush, 30*time.Second); !strings.Contains(push.Params["text"], "it went through") {
		t.Errorf("the stop push does not say the stop sent before the kill went through:\n%s", push.Params["text"])
	}

	// /status names the new leader.
	asked := time.Now()
	tg.SendMessage(4242, 4242, "/status")
	status := tg.WaitCall(t, "sendMessage", func(c tgtest.Call) bool {
		return c.At.After(asked) && strings.Contains(c.Params["text"], "Leader:")
	}, 10*time.Second)
	host, _ := os.Hostname()
	if want := "Leader: <code>" + host + "</code>, PID " + strconv.Itoa(second.pid()); !strings.Contains(status.Params["text"], want) {
		t.Errorf("/status says %q, want %q", status.Params["text"], want)
	}

	// A clean shutdown hands the lease over at once, not after it expires.
	var third *replica
	for _, r := range followers {
		if r != second {
			third = r
		}
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-second.exited:
		if err != nil {
			t.Errorf("the leader exited with %v after SIGTERM\n%s", err, second.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the leader did not stop after SIGTERM\n%s", second.logs.String())
	}
	stopped := time.Now()
	awaitLeader(t, []*replica{third}, stopped.Add(5*time.Second))
	asked = time.Now()
	tg.SendMessage(4242, 4242, "/cost")
	costReply(t, tg, asked, 10*time.Second)

	if n := len(ls.Calls("StopInstance")); n != 1 {
		t.Errorf("the instance was stopped %d times, want once", n)
	}
	pushes := map[string]int{}
	for _, c := range tg.Calls("sendMessage") {
		if !strings.HasPrefix(strings.TrimSpace(c.Params["text"]), "💰") && !strings.Contains(c.Params["text"], "No cost data yet") &&
			!strings.Contains(c.Params["text"], "Leader:") {
			pushes[c.Params["chat_id"]+"\x00"+c.Params["text"]]++
		}
	}
	stops := 0
	for text, n := range pushes {
		if n > 1 {
			t.Errorf("a push was sent %d times: %q", n, text)
		}
		if strings.Contains(text, "Lightsail instance stopped") {
			stops += n
		}
	}
	if stops != 1 {
		t.Errorf("the stop was pushed %d times, want once", stops)
	}
	if n := tg.Conflicts(); n > 1 {
		t.Errorf("the Bot API saw %d getUpdates conflicts: more than one poller at a time", n)
	}
	for _, r := range rs {
		if r != first && r != second && r != third {
			continue
		}
		if polls := strings.Count(r.logs.String(), "polling started"); polls > 1 || (polls == 1 && !r.leads()) {
			t.Errorf("replica %d started polling %d times (leads: %v)", r.pid(), polls, r.leads())
		}
	}
	if regexp.MustCompile(`(?m)Conflict`).MatchString(third.logs.String()) {
		t.Errorf("the last leader met a 409 Conflict:\n%s", third.logs.String())
	}
}

// A leader whose lease renewals PostgreSQL stops answering (its lease table locked, as a
// stalled database would) exits with status 1 before its lease can expire, so that the
// follower that takes over works alone; the follower leads once the database answers.
func TestReplicaThatCannotRenewExits(t *testing.T) {
	db := storetest.PostgresURL(t)
	tg := tgtest.New(t)
	ls := awstest.StartLightsail(t)
	const lease = 3 * time.Second
	env := replicaEnv(t, tg, db, ls.URL, "LEADER_LEASE="+lease.String())
	rs := []*replica{startReplica(t, env), startReplica(t, env)}
	first := awaitLeader(t, rs, time.Now().Add(30*time.Second))
	follower := rs[0]
	if follower == first {
		follower = rs[1]
	}
	tg.WaitCall(t, "getUpdates", nil, 20*time.Second)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE costbot_leader IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	select {
	case err := <-first.exited:
		took := time.Since(locked)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("the leader exited with %v, want status 1", err)
		}
		if took >= lease {
			t.Errorf("the leader exited %v after its renewals stopped, want within the lease %v", took, lease)
		}
		if !strings.Contains(first.logs.String(), "the leader lease was lost") {
			t.Errorf("the leader did not say why it exited:\n%s", first.logs.String())
		}
	case <-time.After(2 * lease):
		t.Fatalf("the leader kept running %v after its renewals stopped\n%s", 2*lease, first.logs.String())
	}
	if follower.leads() {
		t.Fatal("the follower took the lease while the leader's had not expired")
	}
	tx.Rollback(ctx)
	awaitLeader(t, []*replica{follower}, time.Now().Add(2*lease))
	asked := time.Now()
	tg.SendMessage(4242, 4242, "/cost")
	costReply(t, tg, asked, 10*time.Second)
}
