// Package deploy_test checks the deployment files without a Docker engine: what the
// Dockerfile and the compose file must hold for the image to run on a fresh host.
package deploy_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"costbot/config"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
}

// stage is one FROM and what follows it.
type stage struct {
	From  string
	Steps []instruction
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Steps {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// parseDockerfile reads the Dockerfile's stages: comments dropped, lines ending in a
// backslash joined to the next.
func parseDockerfile(t *testing.T, name string) []stage {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" && pending == "" {
			continue
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.Join(strings.Fields(args), " ")}
		if in.Cmd == "FROM" {
			stages = append(stages, stage{From: in.Args})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before FROM", name, in.Cmd)
		}
		stages[len(stages)-1].Steps = append(stages[len(stages)-1].Steps, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// envOf is the stage's ENV settings (the NAME=value form).
func envOf(s stage) map[string]string {
	env := map[string]string{}
	for _, in := range s.all("ENV") {
		for _, kv := range strings.Fields(in.Args) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = strings.Trim(v, `"`)
			}
		}
	}
	return env
}

var secretName = regexp.MustCompile(`(?i)TOKEN|SECRET|PASSWORD|ACCESS_KEY|SESSION`)

// What the image must be: a static binary on an image without libc, run as a non-root
// numeric user who owns the /data volume, HEALTHCHECK through `costbot healthcheck`,
// HTTP on :8080 inside the container, and no secret in any layer.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("want a build stage and a runtime stage, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	staticBuild := false
	for _, in := range build.all("RUN") {
		if strings.Contains(in.Args, "go build") && strings.Contains(in.Args, "CGO_ENABLED=0") {
			staticBuild = true
		}
	}
	if !staticBuild {
		t.Error("the build stage does not run go build with CGO_ENABLED=0: the binary would need libc")
	}
	if base := strings.Fields(final.From)[0]; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("runtime image %s: want distroless/static or scratch (no libc, no shell)", base)
	}

	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("the runtime stage sets no USER: it would run as root")
	}
	user := users[len(users)-1].Args
	uid, gid, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("USER %s: want a numeric non-root UID (runAsNonRoot can only check a number)", user)
	}

	env := envOf(final)
	volumes := final.all("VOLUME")
	if len(volumes) != 1 || !strings.Contains(volumes[0].Args, `"/data"`) {
		t.Fatalf("VOLUME = %v, want [\"/data\"]", volumes)
	}
	if path.Dir(env["DB_PATH"]) != "/data" {
		t.Errorf("DB_PATH = %q, want a file in the /data volume", env["DB_PATH"])
	}
	owned := false
	for _, in := range final.all("COPY") {
		f := strings.Fields(in.Args)
		if slices.Contains(f, "--chown="+uid+":"+gid) && f[len(f)-1] == "/data" {
			owned = true
		}
	}
	if !owned {
		t.Errorf("no COPY --chown=%s:%s ... /data: the volume would belong to root and the database could not be created", uid, gid)
	}

	checks := final.all("HEALTHCHECK")
	if len(checks) != 1 || !regexp.MustCompile(`CMD \["[^"]*costbot", "healthcheck"\]`).MatchString(checks[0].Args) {
		t.Errorf("HEALTHCHECK = %v, want CMD [\".../costbot\", \"healthcheck\"]", checks)
	}
	if env["HTTP_ADDR"] != ":8080" || len(final.all("EXPOSE")) != 1 || final.all("EXPOSE")[0].Args != "8080" {
		t.Errorf("HTTP_ADDR %q, EXPOSE %v: want :8080 inside the container, exposed", env["HTTP_ADDR"], final.all("EXPOSE"))
	}

	for _, s := range stages {
		for _, in := range s.Steps {
			switch in.Cmd {
			case "ENV", "ARG":
				for _, kv := range strings.Fields(in.Args) {
					if name, _, _ := strings.Cut(kv, "="); secretName.MatchString(name) {
						t.Errorf("%s %s: a secret in the image", in.Cmd, kv)
					}
				}
			case "COPY", "ADD":
				if strings.Contains(in.Args, ".env") || strings.Contains(in.Args, ".aws") || strings.Contains(in.Args, ".db") {
					t.Errorf("%s %s copies settings, credentials or a database into the image", in.Cmd, in.Args)
				}
			}
		}
	}
}

// .dockerignore keeps settings, credentials, databases and the git history out of the
// build context, so `COPY . .` cannot put them in a layer.
func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, p := range patterns {
		if strings.HasPrefix(p, "!") {
			t.Errorf("exception %q: this test's matcher does not follow exceptions; keep .dockerignore to exclusions", p)
		}
	}
	for _, file := range []string{".env", "deploy/.env", ".env.local", "data/cost_history.db", "data/cost_history.db-wal",
		"cost.db", "deploy/cost.db-shm", "data/cost_history.db.lock", ".git/config", "deploy/aws-credentials"} {
		if !ignored(patterns, file) {
			t.Errorf("%s is sent to the Docker build context", file)
		}
	}
	for _, file := range []string{"go.mod", "main.go", "deploy/.env.example", "locale/locales/en.json"} {
		if ignored(patterns, file) {
			t.Errorf("%s is left out of the build context, but the build needs it", file)
		}
	}
}

// ignored reports whether a .dockerignore pattern excludes file or one of its folders
// (Docker's rules: paths from the context root, ** for any number of folders).
func ignored(patterns []string, file string) bool {
	for _, p := range patterns {
		p = strings.Trim(p, "/")
		for cand := file; cand != "." && cand != ""; cand = path.Dir(cand) {
			if matchDockerignore(p, cand) {
				return true
			}
		}
	}
	return false
}

func matchDockerignore(pattern, name string) bool {
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
		parts := strings.Split(name, "/")
		for i := range parts {
			if matchDockerignore(rest, strings.Join(parts[i:], "/")) {
				return true
			}
		}
		return false
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// compose is the part of the compose file the test reads.
type compose struct {
	Services map[string]struct {
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		EnvFile     []string          `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		User        string            `yaml:"user"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// The compose file runs on a fresh host without hand-editing: the data in a named
// volume (which Docker creates owned by the image's user), no folder of the host's user
// the container cannot read, HTTP published on 127.0.0.1 only, settings from .env.
func TestCompose(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	svc, ok := c.Services["costbot"]
	if !ok {
		t.Fatalf("no costbot service in %v", c.Services)
	}
	if _, err := os.Stat(path.Join(svc.Build.Context, svc.Build.Dockerfile)); err != nil || path.Clean(svc.Build.Context) != ".." {
		t.Errorf("build %+v: want the repository root as context and its deploy/Dockerfile (%v)", svc.Build, err)
	}
	if !slices.Equal(svc.EnvFile, []string{"../.env"}) {
		t.Errorf("env_file = %v, want ../.env (the repository root's)", svc.EnvFile)
	}

	dataVolume := ""
	for _, v := range svc.Volumes {
		source, target, _ := strings.Cut(v, ":")
		target, _, _ = strings.Cut(target, ":")
		switch {
		case target == "/data":
			dataVolume = source
		case strings.HasPrefix(source, "~") && strings.HasSuffix(source, ".aws"):
			t.Errorf("volume %s mounts the whole ~/.aws: its files are the host user's, mode 600, and unreadable to the container; mount one profile", v)
		}
	}
	if dataVolume == "" || strings.ContainsAny(dataVolume[:1], "./~$") {
		t.Errorf("/data is mounted from %q: want a named volume, which Docker creates owned by the image's user (a bind-mounted folder is created owned by root)", dataVolume)
	} else if _, declared := c.Volumes[dataVolume]; !declared {
		t.Errorf("named volume %q is not declared under volumes:", dataVolume)
	}
	if svc.User != "" {
		t.Errorf("user: %s overrides the image's user, who owns the volume", svc.User)
	}

	if path.Dir(svc.Environment["DB_PATH"]) != "/data" || svc.Environment["HTTP_ADDR"] != ":8080" {
		t.Errorf("environment %v: want DB_PATH in /data and HTTP_ADDR :8080 inside the container", svc.Environment)
	}
	for name := range svc.Environment {
		if secretName.MatchString(name) {
			t.Errorf("environment sets %s in the compose file: secrets belong in .env", name)
		}
	}
	if len(svc.Ports) == 0 {
		t.Error("no port published: the healthcheck works inside, but /metrics is unreachable")
	}
	for _, p := range svc.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("port %q is published on every interface of the host, want 127.0.0.1:", p)
		}
	}
}

// Every variable .env.example sets is one costbot reads, and every setting costbot
// reads is shown in .env.example (set, or in a comment).
func TestEnvExampleMatchesConfig(t *testing.T) {
	raw, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	known := config.Variables()
	if len(known) < 20 {
		t.Fatalf("config.Variables() = %v: too few to be every setting", known)
	}
	assignment := regexp.MustCompile(`^\s*(#\s*)?([A-Z][A-Z0-9_]*)=`)
	shown := map[string]bool{}
	for i, line := range strings.Split(string(raw), "\n") {
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, commented := m[2], m[1] != ""
		shown[name] = true
		if !commented && !slices.Contains(known, name) {
			t.Errorf(".env.example:%d sets %s, which costbot does not read", i+1, name)
		}
		if !commented && secretName.MatchString(name) {
			if _, value, _ := strings.Cut(line, "="); strings.TrimSpace(value) != "" {
				t.Errorf(".env.example:%d gives %s a value", i+1, name)
			}
		}
	}
	for _, name := range known {
		if !shown[name] {
			t.Errorf("%s is a setting, but .env.example does not show it", name)
		}
	}
}

type policy struct {
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  string
		Condition map[string]map[string]any
	}
}

func readPolicy(t *testing.T, name string) policy {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var p policy
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// The default IAM policy lets costbot stop and start only the Lightsail instances tagged
// costbot=managed, in Lightsail's regions; the broad one, for those who cannot tag,
// allows the same actions without the condition.
func TestIAMPolicyScopesPowerActions(t *testing.T) {
	scoped, broad := readPolicy(t, "iam-policy.json"), readPolicy(t, "iam-policy-broad.json")
	actions := func(p policy) []string {
		var out []string
		for _, s := range p.Statement {
			out = append(out, s.Action...)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(actions(scoped), actions(broad)) {
		t.Errorf("the broad policy allows %v, the scoped one %v: they must differ only in scope", actions(broad), actions(scoped))
	}
	power := 0
	for _, s := range scoped.Statement {
		changes := slices.ContainsFunc(s.Action, func(a string) bool {
			// sts:AssumeRole changes nothing: it reaches the member accounts' read-only role.
			return a == "lightsail:StopInstance" || a == "lightsail:StartInstance" ||
				a != "sts:AssumeRole" && !strings.Contains(a, ":Get") && !strings.Contains(a, ":List") && !strings.Contains(a, ":Describe")
		})
		if !changes {
			continue
		}
		power++
		eq := s.Condition["StringEquals"]
		if eq["aws:ResourceTag/costbot"] != "managed" {
			t.Errorf("statement %s changes instances without the aws:ResourceTag/costbot = managed condition: %v", s.Sid, s.Condition)
		}
		regions, _ := eq["aws:RequestedRegion"].([]any)
		var got []string
		for _, r := range regions {
			got = append(got, r.(string))
		}
		slices.Sort(got)
		want := slices.Clone(config.LightsailRegions)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("statement %s: aws:RequestedRegion %v, want Lightsail's regions %v", s.Sid, got, want)
		}
	}
	if power == 0 {
		t.Error("no statement allows StopInstance/StartInstance")
	}
}
