package orthanc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Where Debian's packages put Orthanc and the DICOMweb plugin; ORTHANC_BIN
// and ORTHANC_DICOMWEB_PLUGIN override them.
var (
	binCandidates    = []string{"/usr/sbin/Orthanc", "/usr/bin/Orthanc"}
	pluginCandidates = []string{
		"/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
		"/usr/lib/orthanc/plugins/libOrthancDicomWeb.so",
	}
)

const installHint = "scripts/install-orthanc.sh installs Debian's orthanc and orthanc-dicomweb"

// RemoteServer is a DICOMweb server that Orthanc's DICOMweb client may
// talk to: an entry of the plugin's DicomWeb.Servers.
type RemoteServer struct {
	// URL is the server's DICOMweb root, e.g.
	// "http://127.0.0.1:9000/dicom-web/". The plugin appends "studies",
	// "studies/{uid}" ... to it; a missing final slash is added.
	URL string
	// Headers are sent with every request to the server
	// (e.g. "Authorization": "Bearer TOKEN").
	Headers map[string]string
	// Username and Password, when set, are sent as HTTP Basic
	// authentication.
	Username, Password string
	// Extra holds further fields of the server's entry as the plugin
	// reads them (e.g. "ChunkedTransfers": false,
	// "HasWadoRsUniversalTransferSyntax": false, "Timeout": 10).
	Extra map[string]any
}

// Options configure a Server.
type Options struct {
	// Name is Orthanc's "Name" (and the prefix of its log lines in the
	// test output); "orthanc" when empty.
	Name string
	// Servers are the DICOMweb servers Orthanc's client knows, by name:
	// the {name} of /dicom-web/servers/{name}/stow, .../retrieve, .../get.
	Servers map[string]RemoteServer
	// Username and Password, when both are set, turn Orthanc's HTTP
	// authentication on with that one user; the Server's own requests
	// send them. Off by default.
	Username, Password string
	// Verbose starts Orthanc with --verbose (its log then shows each
	// request the DICOMweb client makes).
	Verbose bool
}

// Server is a running Orthanc, stopped when the test ends.
type Server struct {
	opts    Options
	dir     string
	logPath string
	url     string
	client  *http.Client

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Binary returns the Orthanc binary to run and the DICOMweb plugin to
// load: ORTHANC_BIN, else Orthanc on PATH, else Debian's /usr/sbin/Orthanc;
// ORTHANC_DICOMWEB_PLUGIN, else where Debian's orthanc-dicomweb puts it.
// ok is false when either is missing.
func Binary() (bin, plugin string, ok bool) {
	bin = os.Getenv("ORTHANC_BIN")
	if bin == "" {
		if p, err := exec.LookPath("Orthanc"); err == nil {
			bin = p
		}
	}
	if bin == "" {
		for _, c := range binCandidates {
			if isFile(c) {
				bin = c
				break
			}
		}
	}
	plugin = os.Getenv("ORTHANC_DICOMWEB_PLUGIN")
	if plugin == "" {
		for _, c := range pluginCandidates {
			if isFile(c) {
				plugin = c
				break
			}
		}
	}
	return bin, plugin, bin != "" && isFile(bin) && plugin != "" && isFile(plugin)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Start runs an Orthanc with the DICOMweb plugin on a free port of
// 127.0.0.1, its storage and log in t.TempDir(), and stops it when the
// test ends. It skips the test when Orthanc or the plugin is not installed.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, plugin, ok := Binary()
	if !ok {
		t.Skipf("Orthanc with the DICOMweb plugin is not installed (Orthanc binary %q, plugin %q; set ORTHANC_BIN and ORTHANC_DICOMWEB_PLUGIN): %s", bin, plugin, installHint)
	}
	if opts.Name == "" {
		opts.Name = "orthanc"
	}
	s := &Server{
		opts:   opts,
		dir:    t.TempDir(),
		client: &http.Client{Timeout: 60 * time.Second},
	}
	s.logPath = filepath.Join(s.dir, "orthanc.log")
	// Cleanups run last-registered first: the log tail is printed after
	// Orthanc has stopped and written its last lines.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s: last lines of %s:\n%s", opts.Name, s.logPath, s.LogTail(60))
		}
	})
	t.Cleanup(s.stop)

	// A free port can be taken by someone else between our probe and
	// Orthanc's bind; Orthanc then exits at once, and we try another.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("%s: no free port: %v", opts.Name, err)
		}
		cfg, err := s.config(port, plugin)
		if err != nil {
			t.Fatalf("%s: config: %v", opts.Name, err)
		}
		cfgPath := filepath.Join(s.dir, "orthanc.json")
		if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		s.url = fmt.Sprintf("http://127.0.0.1:%d", port)
		if lastErr = s.launch(bin, cfgPath); lastErr != nil {
			t.Fatalf("%s: starting %s: %v", opts.Name, bin, lastErr)
		}
		if lastErr = s.waitReady(30 * time.Second); lastErr == nil {
			return s
		}
		s.stop()
		if !errors.Is(lastErr, errExited) {
			break
		}
	}
	t.Fatalf("%s: Orthanc did not come up: %v\nlast lines of %s:\n%s", opts.Name, lastErr, s.logPath, s.LogTail(40))
	return nil
}

var errExited = errors.New("Orthanc exited")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// config is Orthanc's configuration file for this server.
func (s *Server) config(port int, plugin string) ([]byte, error) {
	servers := map[string]any{}
	for name, r := range s.opts.Servers {
		u := r.URL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		e := map[string]any{"Url": u}
		for k, v := range r.Extra {
			e[k] = v
		}
		if len(r.Headers) > 0 {
			e["HttpHeaders"] = r.Headers
		}
		if r.Username != "" || r.Password != "" {
			e["Username"], e["Password"] = r.Username, r.Password
		}
		servers[name] = e
	}
	cfg := map[string]any{
		"Name":                   s.opts.Name,
		"StorageDirectory":       filepath.Join(s.dir, "storage"),
		"IndexDirectory":         filepath.Join(s.dir, "index"),
		"StorageCompression":     false,
		"SyncStorageArea":        false,
		"HttpServerEnabled":      true,
		"HttpPort":               port,
		"RemoteAccessAllowed":    false,
		"HttpDescribeErrors":     true,
		"HttpTimeout":            30,
		"HttpRequestTimeout":     30,
		"DicomServerEnabled":     false,
		"WebDavEnabled":          false,
		"OrthancExplorerEnabled": false,
		"SaveJobs":               false,
		"ConcurrentJobs":         2,
		"HttpThreadsCount":       8,
		"OverwriteInstances":     false,
		"Plugins":                []string{plugin},
		"DicomWeb": map[string]any{
			"Enable":     true,
			"Root":       "/dicom-web/",
			"EnableWado": false,
			"Servers":    servers,
		},
	}
	if s.opts.Username != "" && s.opts.Password != "" {
		cfg["AuthenticationEnabled"] = true
		cfg["RegisteredUsers"] = map[string]string{s.opts.Username: s.opts.Password}
	} else {
		cfg["AuthenticationEnabled"] = false
	}
	return json.MarshalIndent(cfg, "", "  ")
}

func (s *Server) launch(bin, cfgPath string) error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := []string{}
	if s.opts.Verbose {
		args = append(args, "--verbose")
	}
	args = append(args, cfgPath)
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// waitReady polls GET /system until Orthanc answers 200.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%w before answering /system", errExited)
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, s.url+"/system", nil)
		s.auth(req)
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /system: %s", resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %v", limit, last)
}

// stop ends Orthanc: SIGTERM (it shuts down cleanly), SIGKILL after 10 s.
func (s *Server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
}

// URL is Orthanc's REST root, http://127.0.0.1:PORT (no final slash);
// its DICOMweb root is URL()+"/dicom-web/".
func (s *Server) URL() string { return s.url }

// Dir is the server's temporary directory (configuration, storage, log).
func (s *Server) Dir() string { return s.dir }

// LogPath is the file Orthanc's output goes to.
func (s *Server) LogPath() string { return s.logPath }

// LogTail returns the last n lines of Orthanc's log.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) auth(req *http.Request) {
	if s.opts.Username != "" && s.opts.Password != "" {
		req.SetBasicAuth(s.opts.Username, s.opts.Password)
	}
}

// Do sends one request to Orthanc's REST API (path such as "/studies")
// and returns the status code and body. An error is a transport failure
// only: a non-2xx answer is returned as is.
func (s *Server) Do(method, path string, body []byte, contentType string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	s.auth(req)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// call is Do that must answer 200; out, if not nil, receives the JSON body.
func (s *Server) call(method, path string, body []byte, contentType string, out any) ([]byte, error) {
	code, b, err := s.Do(method, path, body, contentType)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if code != http.StatusOK {
		return b, fmt.Errorf("%s %s: HTTP %d: %s", method, path, code, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return b, fmt.Errorf("%s %s: decoding the answer: %v: %.300s", method, path, err, b)
		}
	}
	return b, nil
}

func (s *Server) postJSON(path string, in, out any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return s.call(http.MethodPost, path, body, "application/json", out)
}

// Upload stores one DICOM file with POST /instances and returns its
// Orthanc ID.
func (s *Server) Upload(t testing.TB, dicom []byte) string {
	t.Helper()
	var ans struct{ ID, Status string }
	if _, err := s.call(http.MethodPost, "/instances", dicom, "application/dicom", &ans); err != nil {
		t.Fatalf("%s: upload: %v", s.opts.Name, err)
	}
	if ans.ID == "" {
		t.Fatalf("%s: upload answered no ID (status %q)", s.opts.Name, ans.Status)
	}
	return ans.ID
}

// Studies lists the Orthanc IDs of the stored studies.
func (s *Server) Studies(t testing.TB) []string {
	t.Helper()
	var ids []string
	if _, err := s.call(http.MethodGet, "/studies", nil, "", &ids); err != nil {
		t.Fatalf("%s: %v", s.opts.Name, err)
	}
	return ids
}

// FindStudy returns the Orthanc ID of the stored study with this
// StudyInstanceUID (POST /tools/lookup), or "" if there is none.
func (s *Server) FindStudy(t testing.TB, studyInstanceUID string) string {
	t.Helper()
	var found []struct{ ID, Type string }
	if _, err := s.call(http.MethodPost, "/tools/lookup", []byte(studyInstanceUID), "text/plain", &found); err != nil {
		t.Fatalf("%s: %v", s.opts.Name, err)
	}
	for _, f := range found {
		if f.Type == "Study" {
			return f.ID
		}
	}
	return ""
}

// InstanceFile returns the stored bytes of an instance
// (GET /instances/{id}/file).
func (s *Server) InstanceFile(t testing.TB, orthancInstanceID string) []byte {
	t.Helper()
	b, err := s.call(http.MethodGet, "/instances/"+url.PathEscape(orthancInstanceID)+"/file", nil, "", nil)
	if err != nil {
		t.Fatalf("%s: %v", s.opts.Name, err)
	}
	return b
}

// StudyInstances returns the stored files of a study, by SOPInstanceUID,
// exactly as Orthanc stored them; an empty map if the study is not there.
func (s *Server) StudyInstances(t testing.TB, studyInstanceUID string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	id := s.FindStudy(t, studyInstanceUID)
	if id == "" {
		return out
	}
	var instances []struct {
		ID            string
		MainDicomTags struct{ SOPInstanceUID string }
	}
	if _, err := s.call(http.MethodGet, "/studies/"+url.PathEscape(id)+"/instances", nil, "", &instances); err != nil {
		t.Fatalf("%s: %v", s.opts.Name, err)
	}
	for _, in := range instances {
		out[in.MainDicomTags.SOPInstanceUID] = s.InstanceFile(t, in.ID)
	}
	return out
}

// Stow has Orthanc's DICOMweb client send resources (Orthanc IDs of
// patients, studies, series or instances) to the DICOMweb server
// serverName with STOW-RS: POST /dicom-web/servers/{name}/stow, run
// synchronously. A refusal by the server (or any failure) is returned as
// an error holding Orthanc's status and answer and the error lines its
// log gained meanwhile, which name the cause (e.g. "received HTTP status
// 401").
func (s *Server) Stow(t testing.TB, serverName string, resources []string) error {
	t.Helper()
	return s.viaClient(serverName, "stow", map[string]any{"Resources": resources, "Synchronous": true}, nil)
}

// viaClient posts a request to the DICOMweb client's
// /dicom-web/servers/{name}/{verb}. When it fails, the error lines Orthanc
// logged meanwhile are added to the error: its answer to a failed job says
// only "Error encountered within the plugin engine", the log says what
// the remote server answered.
func (s *Server) viaClient(serverName, verb string, body any, raw *[]byte) error {
	mark := s.logSize()
	b, err := s.postJSON("/dicom-web/servers/"+url.PathEscape(serverName)+"/"+verb, body, nil)
	if err != nil {
		if lines := s.errorLinesSince(mark); lines != "" {
			err = fmt.Errorf("%w\nOrthanc's log:\n%s", err, lines)
		}
		return err
	}
	if raw != nil {
		*raw = b
	}
	return nil
}

func (s *Server) logSize() int64 {
	st, err := os.Stat(s.logPath)
	if err != nil {
		return 0
	}
	return st.Size()
}

// errorLinesSince returns the error lines ("E...") of Orthanc's log after
// byte offset mark.
func (s *Server) errorLinesSince(mark int64) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil || int64(len(b)) < mark {
		return ""
	}
	var out []string
	for _, l := range strings.Split(string(b[mark:]), "\n") {
		if strings.HasPrefix(l, "E") {
			out = append(out, "  "+l)
		}
	}
	return strings.Join(out, "\n")
}

// Retrieve has Orthanc's DICOMweb client fetch a whole study from the
// DICOMweb server serverName with WADO-RS and store it:
// POST /dicom-web/servers/{name}/retrieve with
// {"Resources": [{"Study": uid}]}, run synchronously.
func (s *Server) Retrieve(t testing.TB, serverName, studyInstanceUID string) error {
	t.Helper()
	return s.viaClient(serverName, "retrieve",
		map[string]any{"Resources": []map[string]string{{"Study": studyInstanceUID}}, "Synchronous": true}, nil)
}

// Qido has Orthanc's DICOMweb client GET uri (e.g.
// "/studies?PatientID=X&00100021=Y", relative to the server's root) from
// the DICOMweb server serverName (POST /dicom-web/servers/{name}/get) and
// returns the server's answer, a DICOM JSON array for a QIDO-RS search.
// The plugin refuses a "?" in "Uri": the query is sent as its "Arguments"
// (one value per key), which the plugin encodes back into the URL.
func (s *Server) Qido(t testing.TB, serverName, uri string) (json.RawMessage, error) {
	t.Helper()
	body := map[string]any{"Uri": uri}
	if path, query, ok := strings.Cut(uri, "?"); ok {
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, fmt.Errorf("query of %q: %w", uri, err)
		}
		args := map[string]string{}
		for k, v := range q {
			args[k] = strings.Join(v, ",")
		}
		body = map[string]any{"Uri": path, "Arguments": args}
	}
	var b []byte
	if err := s.viaClient(serverName, "get", body, &b); err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: the answer to %s is not JSON: %.300s", s.opts.Name, uri, b)
	}
	return json.RawMessage(b), nil
}

// Name is the server's configured name.
func (s *Server) Name() string { return s.opts.Name }

// StowJob is Stow as an Orthanc job that runs in the background, for
// pushes that outlast an HTTP request (a backfill): it waits for the job
// (polling GET /jobs/{id}) up to limit and returns its error, with the
// error lines Orthanc logged meanwhile.
func (s *Server) StowJob(t testing.TB, serverName string, resources []string, limit time.Duration) error {
	t.Helper()
	mark := s.logSize()
	var job struct{ ID string }
	if _, err := s.postJSON("/dicom-web/servers/"+url.PathEscape(serverName)+"/stow",
		map[string]any{"Resources": resources, "Synchronous": false}, &job); err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		var st struct {
			State        string
			ErrorCode    int
			ErrorDetails string
		}
		if _, err := s.call(http.MethodGet, "/jobs/"+job.ID, nil, "", &st); err != nil {
			return err
		}
		switch st.State {
		case "Success":
			return nil
		case "Failure":
			err := fmt.Errorf("STOW job %s failed: %d %s", job.ID, st.ErrorCode, st.ErrorDetails)
			if lines := s.errorLinesSince(mark); lines != "" {
				err = fmt.Errorf("%w\nOrthanc's log:\n%s", err, lines)
			}
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("STOW job %s still %s after %s", job.ID, st.State, limit)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
