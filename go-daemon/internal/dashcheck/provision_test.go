package dashcheck

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// Paths of the dashboard folder, from this package's directory.
const (
	dashDir      = "../../../dashboard"
	composeFile  = dashDir + "/docker-compose.yml"
	datasourceFn = dashDir + "/provisioning/datasources/vigia-sqlite.yaml"
	providerFn   = dashDir + "/provisioning/dashboards/vigia.yaml"
	dashboardDir = dashDir + "/provisioning/dashboards"
)

// Where the compose file mounts things inside the Grafana container.
const (
	provisioningMount = "/etc/grafana/provisioning"
	dbMount           = "/var/lib/vigia"
)

type datasourceFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		UID       string `yaml:"uid"`
		Type      string `yaml:"type"`
		Access    string `yaml:"access"`
		OrgID     int    `yaml:"orgId"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
		JSONData  struct {
			Path        string `yaml:"path"`
			PathPrefix  string `yaml:"pathPrefix"`
			PathOptions string `yaml:"pathOptions"`
		} `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type providerFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		OrgID                 int    `yaml:"orgId"`
		Folder                string `yaml:"folder"`
		FolderUID             string `yaml:"folderUid"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func decodeYAML(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true) // a misspelt key is a fault, not a silent default
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// provisionedDatasource returns the one datasource of the provisioning file.
func provisionedDatasource(t *testing.T) (uid, prefix, options string) {
	t.Helper()
	var f datasourceFile
	decodeYAML(t, datasourceFn, &f)
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("%s: apiVersion %d with %d datasources, want 1 and 1", datasourceFn,
			f.APIVersion, len(f.Datasources))
	}
	ds := f.Datasources[0]
	return ds.UID, ds.JSONData.PathPrefix, ds.JSONData.PathOptions
}

func TestDatasourceFile(t *testing.T) {
	var f datasourceFile
	decodeYAML(t, datasourceFn, &f)
	if len(f.Datasources) != 1 {
		t.Fatalf("%d datasources, want 1", len(f.Datasources))
	}
	ds := f.Datasources[0]
	checks := []struct {
		what      string
		got, want string
	}{
		{"uid", ds.UID, "vigia-sqlite"},
		{"type", ds.Type, PluginType},
		{"access", ds.Access, "proxy"},
		// The compose file mounts the database directory here and sets
		// VIGIA_DB_NAME, which Grafana expands in provisioning files.
		{"jsonData.path", ds.JSONData.Path, dbMount + "/${VIGIA_DB_NAME}"},
		{"jsonData.pathPrefix", ds.JSONData.PathPrefix, "file:"},
		{"jsonData.pathOptions", ds.JSONData.PathOptions, "mode=ro"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !ds.IsDefault {
		t.Error("isDefault is false: a panel added by hand would not find the data")
	}
}

func TestDashboardProviderFile(t *testing.T) {
	var f providerFile
	decodeYAML(t, providerFn, &f)
	if f.APIVersion != 1 || len(f.Providers) != 1 {
		t.Fatalf("apiVersion %d with %d providers, want 1 and 1", f.APIVersion, len(f.Providers))
	}
	p := f.Providers[0]
	if p.Type != "file" {
		t.Errorf("type %q, want file", p.Type)
	}
	// The provider must read the folder that holds the dashboard files, as
	// the compose file mounts it.
	rel, err := filepath.Rel(dashDir+"/provisioning", dashboardDir)
	if err != nil {
		t.Fatal(err)
	}
	if want := provisioningMount + "/" + rel; p.Options.Path != want {
		t.Errorf("options.path %q, want %q", p.Options.Path, want)
	}
}

func loadCompose(t *testing.T, env []string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithEnv(env), cli.WithName("vigia"), cli.WithDiscardEnvFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose file is not valid under the Compose Specification: %v", err)
	}
	return p
}

var (
	pinnedImage  = regexp.MustCompile(`^grafana/grafana-oss:\d+\.\d+\.\d+$`)
	pinnedPlugin = regexp.MustCompile(`^frser-sqlite-datasource \d+\.\d+\.\d+$`)
)

func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^version:`).Match(raw) {
		t.Error("top-level version: key is obsolete in the Compose Specification")
	}
	p := loadCompose(t, nil)
	if len(p.Services) != 1 {
		t.Fatalf("%d services, want only grafana", len(p.Services))
	}
	g, ok := p.Services["grafana"]
	if !ok {
		t.Fatal("no grafana service")
	}
	if !pinnedImage.MatchString(g.Image) {
		t.Errorf("image %q is not pinned to an exact grafana-oss version", g.Image)
	}
	if g.ContainerName != "vigia-grafana" {
		t.Errorf("container_name %q, want vigia-grafana", g.ContainerName)
	}
	if g.Labels["io.vigia.role"] != "grafana" {
		t.Errorf("labels %v lack io.vigia.role=grafana: the daemon would not protect it", g.Labels)
	}
	env := func(k string) string {
		if v := g.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	if v := env("GF_INSTALL_PLUGINS"); !pinnedPlugin.MatchString(v) {
		t.Errorf("GF_INSTALL_PLUGINS=%q: want the plugin at an exact version", v)
	}
	if env("GF_SECURITY_ADMIN_USER") == "" || env("GF_SECURITY_ADMIN_PASSWORD") == "" {
		t.Error("admin credentials have no default")
	}
	if len(g.Ports) != 1 || g.Ports[0].HostIP != "127.0.0.1" || g.Ports[0].Target != 3000 {
		t.Errorf("ports %+v: want Grafana's 3000 on 127.0.0.1 only by default", g.Ports)
	}
	mounts := map[string]types.ServiceVolumeConfig{}
	for _, v := range g.Volumes {
		mounts[v.Target] = v
	}
	if m, ok := mounts[provisioningMount]; !ok || !m.ReadOnly || !strings.HasSuffix(m.Source, "/dashboard/provisioning") {
		t.Errorf("provisioning mount %+v: want ./provisioning read-only at %s", m, provisioningMount)
	}
	if m, ok := mounts[dbMount]; !ok || m.Source != "/var/lib/vigia" || m.Type != types.VolumeTypeBind {
		t.Errorf("database mount %+v: want the directory /var/lib/vigia bound at %s", m, dbMount)
	}
	home, ok := strings.CutPrefix(env("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"), provisioningMount+"/")
	if !ok {
		t.Errorf("home dashboard %q is not under %s", home, provisioningMount)
	} else if d, err := LoadFile(filepath.Join(dashDir, "provisioning", home)); err != nil {
		t.Errorf("home dashboard: %v", err)
	} else if d.UID != "vigia-containers" {
		t.Errorf("home dashboard is %s, want vigia-containers", d.UID)
	}
	if env("VIGIA_DB_NAME") != "vigia.db" {
		t.Errorf("VIGIA_DB_NAME=%q, want the default vigia.db", env("VIGIA_DB_NAME"))
	}
}

// TestComposeSettings checks that the documented variables reach the service.
func TestComposeSettings(t *testing.T) {
	p := loadCompose(t, []string{
		"VIGIA_DB_DIR=/srv/vigia-data",
		"VIGIA_DB_NAME=host.db",
		"VIGIA_GRAFANA_ADDR=0.0.0.0:3300",
		"VIGIA_GRAFANA_ADMIN_USER=ops",
		"VIGIA_GRAFANA_ADMIN_PASSWORD=s3cret",
	})
	g := p.Services["grafana"]
	port := g.Ports[0]
	if port.HostIP != "0.0.0.0" || port.Published != "3300" {
		t.Errorf("port %+v, want 0.0.0.0:3300", port)
	}
	found := false
	for _, v := range g.Volumes {
		found = found || (v.Source == "/srv/vigia-data" && v.Target == dbMount)
	}
	if !found {
		t.Errorf("VIGIA_DB_DIR did not reach the database mount: %+v", g.Volumes)
	}
	for k, want := range map[string]string{
		"VIGIA_DB_NAME":              "host.db",
		"GF_SECURITY_ADMIN_USER":     "ops",
		"GF_SECURITY_ADMIN_PASSWORD": "s3cret",
	} {
		if v := g.Environment[k]; v == nil || *v != want {
			t.Errorf("%s not set to %q", k, want)
		}
	}
}
