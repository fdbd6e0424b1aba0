//! The inventory targets' checks: a Terraform state through `palin_inventory::run` (what
//! `palin-inventory --list --tfstate FILE` does), a palin.yml or an aws_ec2.yml through
//! `config::load` and on to an inventory of a fixed model, and an expression in a generated
//! palin.yml. Each `check_*` returns the first broken rule; [`common::enforce`] panics on it.
//!
//! The contract: either an inventory (one JSON object with `_meta.hostvars`, valid group names,
//! every grouped host in hostvars, every child a group, `--host` equal to its hostvars) or an
//! error of one line; no error quotes a marked value of the input, and no output holds a value
//! that the input keeps in a secret place (see [`secret_places`]). The inventory also keeps the
//! trust boundary of issue 20 ([`trust`]): every variable string wrapped as unsafe in `--list`
//! and `--host`, no marker keys, no reserved or template host and group names, valid connection
//! values; `--plain` is the same document unwrapped.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use palin_inventory::config::{self, Config, Context, HostAttr, Overrides};
use palin_inventory::inventory::{self, Inventory};
use palin_inventory::marks::Strings as Render;
use palin_inventory::model::Model;
use palin_inventory::render;
use palin_inventory::sources::terraform::{extract, state};
use serde_json::Value;

#[path = "common.rs"]
pub mod common;
#[path = "trust.rs"]
pub mod trust;

use common::{
    Checked, MARKER, SECRET, check_list, key_contains, leaves, no_echo, one_line_error, violation,
};

/// The small Terraform state the config and expression targets build their inventory from:
/// three instances (an Elastic IP, a module, a bastion), a database with a password, a Redis
/// group with an auth token, a load balancer, a sensitive output, a sensitive tag and attribute.
pub const FIXED_STATE: &str = include_str!("../fixed/state.tfstate");
/// The model the aws_ec2.yml target builds from: three EC2 instances with the API's variables.
pub const FIXED_AWS_MODEL: &str = include_str!("../fixed/aws_model.json");
/// Names that reveal a secret of [`FIXED_STATE`].
const FIXED_SECRET_NAMES: [&str; 6] = [
    "db_password",
    "password",
    "auth_token",
    "tags",
    "tags_all",
    "user_data",
];

// --------------------------------------------------------------------------------- scratch files

/// A scratch directory of this process and thread (fuzzing runs one thread; the replay tests run
/// several), with an empty `cwd/` for runs that must find no palin.yml by convention.
fn scratch_dir() -> PathBuf {
    thread_local! {
        static DIR: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
    }
    DIR.with(|d| {
        d.borrow_mut()
            .get_or_insert_with(|| {
                let base = if Path::new("/dev/shm").is_dir() {
                    PathBuf::from("/dev/shm")
                } else {
                    std::env::temp_dir()
                };
                remove_stale_scratch_dirs(&base);
                let dir = base.join(format!(
                    "palin-fuzz-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                std::fs::create_dir_all(dir.join("cwd")).expect("scratch dir");
                dir
            })
            .clone()
    })
}

/// Remove the scratch directories of processes that have ended (libFuzzer's fork mode starts a
/// process per job, and none of them can clean up after itself: libFuzzer ends with `exit`).
fn remove_stale_scratch_dirs(base: &Path) {
    for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("palin-fuzz-"))
            .and_then(|n| n.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Remove this thread's scratch directory (the replay tests call it when they are done).
pub fn remove_scratch_dir() {
    let _ = std::fs::remove_dir_all(scratch_dir());
}

/// Write `data` to the scratch file `name` and return its path.
fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let dir = scratch_dir();
    let path = dir.join(name);
    if std::fs::write(&path, data).is_err() {
        // Removed by remove_scratch_dir: make it again.
        std::fs::create_dir_all(dir.join("cwd")).expect("scratch dir");
        std::fs::write(&path, data).expect("write scratch file");
    }
    path
}

/// The run context: no environment at all, an empty working directory, no binary directory.
fn with_context<T>(f: impl FnOnce(&Context<'_>) -> T) -> T {
    let env = |_: &str| None;
    let ctx = Context {
        env: &env,
        cwd: scratch_dir().join("cwd"),
        exe_dir: None,
    };
    f(&ctx)
}

// ---------------------------------------------------------------------------------- the outputs

/// Check what a successful run prints: the (wrapped) `--list` text, `--list --plain` (the same
/// document unwrapped), `--host` of every host (equal to its hostvars, wrapped and plain) and
/// `--graph` of the same inventory, all held to the [`trust`] rules; `secret_free` says that no
/// output may hold [`SECRET`].
pub fn check_inventory(list_text: &str, inv: &Inventory, secret_free: bool) -> Checked {
    let leak = |what: &str| {
        violation(
            "secret-leak",
            format!("{what} holds a secret of the input (marker {SECRET})"),
        )
    };
    trust::parse_unique(list_text)?;
    let doc = check_list(list_text)?;
    if secret_free && list_text.contains(SECRET) {
        return Err(leak("--list"));
    }
    trust::check_list_trust(&doc, trust::Strings::Wrapped)?;
    let plain_text = render::list_json(inv, Render::Plain);
    trust::parse_unique(&plain_text)?;
    let plain = check_list(&plain_text)?;
    if secret_free && plain_text.contains(SECRET) {
        return Err(leak("--list --plain"));
    }
    trust::check_list_trust(&plain, trust::Strings::Plain)?;
    if !same_json(&trust::unwrap(&doc), &plain) {
        return Err(violation(
            "plain-differs",
            "--list --plain is not --list with its unsafe wrappers unwrapped",
        ));
    }
    let hostvars = &doc["_meta"]["hostvars"];
    for host in inv.hostvars.keys() {
        let one = render::host(inv, host, Render::Unsafe);
        let listed = hostvars.get(host).unwrap_or(&Value::Null);
        let plain_one = render::host(inv, host, Render::Plain);
        if !same_json(&plain_one, &plain["_meta"]["hostvars"][host]) {
            return Err(violation(
                "host-differs",
                format!(
                    "--host {host:?} --plain differs from its _meta.hostvars in --list --plain"
                ),
            ));
        }
        if !same_json(&one, listed) {
            let differ: Vec<String> = one
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| !listed.get(k.as_str()).is_some_and(|l| same_json(v, l)))
                .map(|(k, v)| {
                    format!(
                        "{k}: --host {v}, --list {}",
                        listed.get(k.as_str()).unwrap_or(&Value::Null)
                    )
                })
                .collect();
            return Err(violation(
                "host-differs",
                format!(
                    "--host {host:?} differs from its _meta.hostvars: {}",
                    differ.join("; ")
                ),
            ));
        }
    }
    if hostvars.as_object().map(serde_json::Map::len) != Some(inv.hostvars.len()) {
        return Err(violation(
            "host-differs",
            "hostvars and the inventory have different hosts",
        ));
    }
    let graph = render::graph(inv);
    if secret_free && graph.contains(SECRET) {
        return Err(leak("--graph"));
    }
    Ok(())
}

/// JSON equality, but for floats that differ in the last digits: the `--list` text is parsed
/// back here with serde_json, whose float parsing (without its `float_roundtrip` feature) may be
/// one unit in the last place off the exact value palin wrote.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// An error as the binary prints it (`palin-inventory: ` and the message made one line, see
/// main.rs): not empty, and quoting no marked value.
fn check_error(message: &str, may_name: bool) -> Checked {
    let line = palin_inventory::error::one_line(message);
    one_line_error(&line)?;
    no_echo(&line, may_name)
}

// ----------------------------------------------------------------------------------- tfstate

/// What the input state says about its markers, read independently of palin.
#[derive(Debug, Default)]
pub struct StateMarks {
    /// A marker is in a key or an identity field (resource type, name, module, index, address,
    /// an instance's id or Name tag): an error may name it.
    pub may_name: bool,
    /// [`SECRET`] is somewhere other than a secret place, so an output may hold it.
    pub secret_elsewhere: bool,
}

/// Attributes that are secret by nature (palin's `SECRET_ATTRIBUTES`).
const SECRET_ATTRIBUTES: [&str; 3] = ["password", "master_password", "auth_token"];

/// Which places of one resource object are sensitive, from its v4 `sensitive_attributes` paths or
/// its `show -json` `sensitive_values` mask: whole attributes, and (attribute, key) pairs.
#[derive(Debug, Default)]
struct Marked {
    whole: BTreeSet<String>,
    keys: BTreeSet<(String, String)>,
}

impl Marked {
    fn from_v4(paths: Option<&Value>) -> Self {
        let mut m = Marked::default();
        for path in paths.and_then(Value::as_array).into_iter().flatten() {
            let steps = path.as_array().map(Vec::as_slice).unwrap_or_default();
            let Some(attr) = steps
                .first()
                .and_then(|s| s.get("value"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let key = match steps {
                [_, second] if second.get("type").and_then(Value::as_str) == Some("index") => {
                    second
                        .get("value")
                        .and_then(|v| v.get("value"))
                        .and_then(Value::as_str)
                }
                _ => None,
            };
            match key {
                Some(k) => m.keys.insert((attr.to_owned(), k.to_owned())),
                None => m.whole.insert(attr.to_owned()),
            };
        }
        m
    }

    fn from_mask(mask: Option<&Value>) -> Self {
        fn any_true(v: &Value) -> bool {
            match v {
                Value::Bool(b) => *b,
                Value::Array(items) => items.iter().any(any_true),
                Value::Object(map) => map.values().any(any_true),
                _ => false,
            }
        }
        let mut m = Marked::default();
        for (attr, mask) in mask.and_then(Value::as_object).into_iter().flatten() {
            match mask {
                Value::Object(keys) if keys.values().all(Value::is_boolean) => {
                    for (k, flag) in keys {
                        if flag == &Value::Bool(true) {
                            m.keys.insert((attr.clone(), k.clone()));
                        }
                    }
                }
                other if any_true(other) => {
                    m.whole.insert(attr.clone());
                }
                _ => {}
            }
        }
        m
    }
}

/// The secret places of one resource object's attributes: `password`-like attributes, and what
/// the state marks sensitive (a marked key of a map attribute; of anything else, the whole
/// attribute, which is the safe side palin promises).
fn attribute_secrets<'a>(attrs: Option<&'a Value>, marked: &Marked, out: &mut Vec<&'a str>) {
    let Some(attrs) = attrs.and_then(Value::as_object) else {
        return;
    };
    for (name, value) in attrs {
        if SECRET_ATTRIBUTES.contains(&name.as_str()) || marked.whole.contains(name) {
            leaves(value, out);
            continue;
        }
        for (attr, key) in &marked.keys {
            if attr != name {
                continue;
            }
            match value {
                Value::Object(map) => {
                    if let Some(v) = map.get(key) {
                        leaves(v, out);
                    }
                }
                other => leaves(other, out),
            }
        }
    }
}

/// Legacy `attributes_flat` (`tags.Token`, `password`): the secret places by the same rules.
fn flat_secrets<'a>(flat: Option<&'a Value>, marked: &Marked, out: &mut Vec<&'a str>) {
    for (key, value) in flat.and_then(Value::as_object).into_iter().flatten() {
        let (attr, rest) = key.split_once('.').unwrap_or((key, ""));
        if SECRET_ATTRIBUTES.contains(&attr)
            || marked.whole.contains(attr)
            || marked.keys.iter().any(|(a, _)| a == attr)
                && (rest.is_empty() || marked.keys.contains(&(attr.to_owned(), rest.to_owned())))
        {
            leaves(value, out);
        }
    }
}

/// Outputs marked `sensitive: true`: their whole value is secret.
fn output_secrets<'a>(outputs: Option<&'a Value>, out: &mut Vec<&'a str>) {
    for o in outputs
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
    {
        if o.get("sensitive") == Some(&Value::Bool(true))
            && let Some(v) = o.get("value")
        {
            leaves(v, out);
        }
    }
}

/// Every secret place of a state document, in both formats (a document is read as one of them;
/// the places of the other are never printed, so counting them as secret is harmless), and the
/// identity strings an error may name.
fn secret_places<'a>(doc: &'a Value, secret: &mut Vec<&'a str>, identity: &mut Vec<&'a str>) {
    let mut id = |v: Option<&'a Value>| {
        if let Some(v) = v {
            leaves(v, identity);
        }
    };
    // v4
    output_secrets(doc.get("outputs"), secret);
    for r in doc
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for k in ["module", "mode", "type", "name"] {
            id(r.get(k));
        }
        for i in r
            .get("instances")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for k in ["index_key", "deposed", "status"] {
                id(i.get(k));
            }
            for attrs in [i.get("attributes"), i.get("attributes_flat")] {
                id(attrs.and_then(|a| a.get("id")));
                id(attrs
                    .and_then(|a| a.get("tags"))
                    .and_then(|t| t.get("Name")));
                id(attrs
                    .and_then(|a| a.get("tags_all"))
                    .and_then(|t| t.get("Name")));
                id(attrs.and_then(|a| a.get("tags.Name")));
            }
            let marked = Marked::from_v4(i.get("sensitive_attributes"));
            attribute_secrets(i.get("attributes"), &marked, secret);
            flat_secrets(i.get("attributes_flat"), &marked, secret);
        }
    }
    // terraform show -json
    let values = doc.get("values");
    output_secrets(values.and_then(|v| v.get("outputs")), secret);
    let mut modules: Vec<&Value> = values
        .and_then(|v| v.get("root_module"))
        .into_iter()
        .collect();
    while let Some(m) = modules.pop() {
        id(m.get("address"));
        for r in m
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for k in ["address", "mode", "type", "name", "index", "deposed_key"] {
                id(r.get(k));
            }
            let attrs = r.get("values");
            id(attrs.and_then(|a| a.get("id")));
            id(attrs
                .and_then(|a| a.get("tags"))
                .and_then(|t| t.get("Name")));
            id(attrs
                .and_then(|a| a.get("tags_all"))
                .and_then(|t| t.get("Name")));
            let marked = Marked::from_mask(r.get("sensitive_values"));
            attribute_secrets(attrs, &marked, secret);
        }
        modules.extend(
            m.get("child_modules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
}

/// Classify the markers of a state (see [`StateMarks`]).
pub fn state_marks(data: &[u8]) -> StateMarks {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        // Not JSON (palin must fail): no place may be named, and nothing is known to be secret.
        return StateMarks {
            may_name: false,
            secret_elsewhere: true,
        };
    };
    let (mut secret, mut identity) = (Vec::new(), Vec::new());
    secret_places(&doc, &mut secret, &mut identity);
    let may_name = key_contains(&doc, MARKER) || identity.iter().any(|s| s.contains(MARKER));
    // SECRET outside the secret places: compare the counts of strings holding it.
    let mut all = Vec::new();
    common::strings(&doc, &mut all);
    let total = all.iter().filter(|s| s.contains(SECRET)).count();
    let secret_ptrs: BTreeSet<*const u8> = secret
        .iter()
        .filter(|s| s.contains(SECRET))
        .map(|s| s.as_ptr())
        .collect();
    StateMarks {
        may_name,
        secret_elsewhere: total > secret_ptrs.len(),
    }
}

/// `data` as a Terraform state file, through `palin-inventory --list --tfstate FILE` (the real
/// run: config, read, parse, extract, inventory, render) with no config and no environment.
pub fn check_tfstate(data: &[u8]) -> Checked {
    common::guarded(palin_inventory::panics::is_catching, || {
        check_tfstate_unguarded(data)
    })
}

fn check_tfstate_unguarded(data: &[u8]) -> Checked {
    let marks = state_marks(data);
    let path = scratch("state.tfstate", data);
    let cli = <palin_inventory::cli::Cli as clap::Parser>::try_parse_from([
        "palin-inventory".as_ref(),
        "--list".as_ref(),
        "--tfstate".as_ref(),
        path.as_os_str(),
    ])
    .expect("valid command line");
    let result = with_context(|ctx| palin_inventory::run(&cli, ctx, false));
    match result {
        Err(e) => check_error(&e.to_string(), marks.may_name),
        Ok(output) => {
            let mut text = Vec::new();
            output.write_to(&mut text).expect("write to memory");
            let text = String::from_utf8(text)
                .map_err(|_| violation("bad-inventory", "--list is not UTF-8"))?;
            let inv = output
                .inventory
                .as_ref()
                .ok_or_else(|| violation("bad-inventory", "no inventory with the output"))?;
            check_inventory(&text, inv, !marks.secret_elsewhere)
        }
    }
}

// ------------------------------------------------------------------------------ config files

/// The fixed state, parsed once.
fn fixed_state() -> &'static state::StateDoc<'static> {
    static DOC: OnceLock<state::StateDoc<'static>> = OnceLock::new();
    DOC.get_or_init(|| state::parse("fixed.tfstate", FIXED_STATE).expect("the fixed state parses"))
}

fn fixed_aws_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| serde_json::from_str(FIXED_AWS_MODEL).expect("the fixed AWS model parses"))
}

/// Which model a config target builds its inventory from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedModel {
    /// [`FIXED_STATE`], extracted with the config's `reveal`.
    Terraform,
    /// [`FIXED_AWS_MODEL`].
    Aws,
}

/// Where a config's YAML holds a marker: in a key or an expression (may be named by an error),
/// and whether [`SECRET`] is anywhere in it.
fn yaml_marks(text: &str) -> (bool, bool) {
    fn walk(v: &serde_yaml_ng::Value, expr: bool, found: &mut bool) {
        use serde_yaml_ng::Value as Y;
        match v {
            Y::String(s) if expr && s.contains(MARKER) => *found = true,
            Y::Sequence(items) => items.iter().for_each(|i| walk(i, expr, found)),
            Y::Mapping(map) => {
                for (k, v) in map {
                    let key = serde_yaml_ng::to_string(k).unwrap_or_default();
                    if key.contains(MARKER) {
                        *found = true;
                    }
                    let expr =
                        expr || matches!(k.as_str(), Some("compose" | "groups" | "keyed_groups"));
                    walk(v, expr, found);
                }
            }
            Y::Tagged(t) => walk(&t.value, expr, found),
            _ => {}
        }
    }
    let Ok(value) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        // Not YAML (palin fails the same way): the parser's messages quote keys (`duplicate entry
        // with key "…"`), which are places, and no values.
        return (true, text.contains(SECRET));
    };
    let mut may_name = false;
    walk(&value, false, &mut may_name);
    (may_name, text.contains(SECRET))
}

/// Load `text` as the config file, then build and render an inventory of `model` under it.
fn check_config_text(text: &[u8], model: FixedModel, file_name: &str) -> Checked {
    let text_str = String::from_utf8_lossy(text);
    let (mut may_name, secret_in_config) = yaml_marks(&text_str);
    let path = scratch(file_name, text);
    let overrides = Overrides {
        config: Some(path),
        ..Overrides::default()
    };
    let config = match with_context(|ctx| config::load(&overrides, ctx)) {
        Ok(c) => c,
        Err(e) => return check_error(&e.to_string(), may_name),
    };
    // Host names taken from tags other than Name may be the marked tag of the fixed model.
    may_name |= config
        .hostnames
        .iter()
        .any(|h| matches!(h, HostAttr::Tag(k) if k != "Name"));
    let revealed = FIXED_SECRET_NAMES
        .iter()
        .any(|n| config.reveal.contains(*n));
    build_and_check(&config, model, may_name, !(secret_in_config || revealed))
}

fn build_and_check(
    config: &Config,
    model: FixedModel,
    may_name: bool,
    secret_free: bool,
) -> Checked {
    let model = match model {
        FixedModel::Terraform => {
            let mut m = extract::extract("fixed.tfstate", fixed_state(), &config.reveal)
                .expect("the fixed state extracts");
            m.attach_elastic_ips();
            m
        }
        FixedModel::Aws => fixed_aws_model().clone(),
    };
    match inventory::build(model, config) {
        Err(e) => check_error(&e.to_string(), may_name),
        Ok(inv) => check_inventory(&render::list_json(&inv, Render::Unsafe), &inv, secret_free),
    }
}

/// `data` as a palin.yml: loaded and validated; if it loads, an inventory of [`FIXED_STATE`].
pub fn check_palin_yml(data: &[u8]) -> Checked {
    common::guarded(palin_inventory::panics::is_catching, || {
        check_palin_yml_unguarded(data)
    })
}

fn check_palin_yml_unguarded(data: &[u8]) -> Checked {
    check_config_text(data, FixedModel::Terraform, "palin.yml")
}

/// `data` as an aws_ec2.yml (or whatever its `plugin:` says): loaded and validated; if it loads,
/// an inventory of [`FIXED_AWS_MODEL`].
pub fn check_aws_ec2_yml(data: &[u8]) -> Checked {
    common::guarded(palin_inventory::panics::is_catching, || {
        check_aws_ec2_yml_unguarded(data)
    })
}

fn check_aws_ec2_yml_unguarded(data: &[u8]) -> Checked {
    check_config_text(data, FixedModel::Aws, "aws_ec2.yml")
}

// -------------------------------------------------------------------------------- expression

/// `data` as one expression: the first byte chooses where it goes and the options, the rest
/// (UTF-8) is the expression, written into a palin.yml that is loaded and used on
/// [`FIXED_STATE`]:
///
/// * bits 0-1: `compose: {x: E}`, `groups: {g: E}`, `keyed_groups: [{key: E, prefix: k}]`, or
///   all three;
/// * bit 2: `strict: true`; bit 3: `leading_separator: false`;
/// * bits 4-6 (keyed group): `default_value: none`, `trailing_separator: false`,
///   `parent_group: keyed`; bit 7: empty prefix.
pub fn check_expression(data: &[u8]) -> Checked {
    common::guarded(palin_inventory::panics::is_catching, || {
        check_expression_unguarded(data)
    })
}

fn check_expression_unguarded(data: &[u8]) -> Checked {
    use serde_yaml_ng::{Mapping, Value as Y};
    let Some((&flags, rest)) = data.split_first() else {
        return Ok(());
    };
    let Ok(expr) = std::str::from_utf8(rest) else {
        return Ok(());
    };
    let s = |t: &str| Y::String(t.to_owned());
    let mut map = Mapping::new();
    let kind = flags & 3;
    if kind == 0 || kind == 3 {
        map.insert(
            s("compose"),
            Y::Mapping([(s("x"), s(expr))].into_iter().collect()),
        );
    }
    if kind == 1 || kind == 3 {
        map.insert(
            s("groups"),
            Y::Mapping([(s("g"), s(expr))].into_iter().collect()),
        );
    }
    if kind >= 2 {
        let mut k = Mapping::new();
        k.insert(s("key"), s(expr));
        k.insert(s("prefix"), s(if flags & 0x80 == 0 { "k" } else { "" }));
        if flags & 0x10 != 0 {
            k.insert(s("default_value"), s("none"));
        }
        if flags & 0x20 != 0 {
            k.insert(s("trailing_separator"), Y::Bool(false));
        }
        if flags & 0x40 != 0 {
            k.insert(s("parent_group"), s("keyed"));
        }
        map.insert(s("keyed_groups"), Y::Sequence(vec![Y::Mapping(k)]));
    }
    if flags & 4 != 0 {
        map.insert(s("strict"), Y::Bool(true));
    }
    if flags & 8 != 0 {
        map.insert(s("leading_separator"), Y::Bool(false));
    }
    let yaml = serde_yaml_ng::to_string(&Y::Mapping(map)).expect("YAML of a mapping");
    let path = scratch("expression.yml", yaml.as_bytes());
    let overrides = Overrides {
        config: Some(path),
        ..Overrides::default()
    };
    let may_name = expr.contains(MARKER);
    let config = match with_context(|ctx| config::load(&overrides, ctx)) {
        Ok(c) => c,
        Err(e) => return check_error(&e.to_string(), may_name),
    };
    build_and_check(
        &config,
        FixedModel::Terraform,
        may_name,
        !expr.contains(SECRET),
    )
}
