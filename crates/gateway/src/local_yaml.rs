//! YAML layering helpers: the reference's deep merge (mappings merge recursively; sequences,
//! scalars and `null` replace), applying one YAML layer over a [`RawConfig`], and the settings
//! routes' update of `<data-dir>/local.yaml` (read, merge, atomic write with mode 0600).

use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::config::{ConfigError, RawConfig};
use crate::keys::KeyFileError;

/// Merges `layer` over `base`: mappings merge key by key, everything else replaces.
pub fn deep_merge(base: &mut Value, layer: Value) {
    match (base, layer) {
        (Value::Mapping(base), Value::Mapping(layer)) => {
            for (k, v) in layer {
                match base.get_mut(&k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (base, layer) => *base = layer,
    }
}

/// `raw` with the YAML document `text` (named `layer` in errors) merged over it.
pub fn merge_layer(raw: &RawConfig, text: &str, layer: &str) -> Result<RawConfig, ConfigError> {
    let err = |reason: String| ConfigError::Layer {
        layer: layer.to_owned(),
        reason,
    };
    let mut base = serde_yaml::to_value(raw).map_err(|e| err(e.to_string()))?;
    let over: Value = serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?;
    if !over.is_null() {
        deep_merge(&mut base, over);
    }
    serde_yaml::from_value(base).map_err(|e| err(e.to_string()))
}

/// The text of `<data-dir>/local.yaml` before an update (`None`: it did not exist), to restore
/// when the update turns out invalid.
pub(crate) struct Previous(Option<String>);

/// Merges `patch` into `<data-dir>/local.yaml` (after removing the `replace` key paths, so maps
/// given there replace instead of merging) and writes it atomically with mode 0600.
pub(crate) fn update(
    data_dir: &Path,
    patch: Value,
    replace: &[&[&str]],
) -> Result<Previous, KeyFileError> {
    crate::keys::ensure_data_dir(data_dir)?;
    let path = crate::keys::local_yaml_path(data_dir);
    let io = |source| KeyFileError::Io {
        path: path.clone(),
        source,
    };
    let bad = |reason: String| KeyFileError::NotAMapping {
        path: path.clone(),
        reason,
    };
    let previous = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let mut doc = match previous.as_deref().map(str::trim) {
        None | Some("") => Value::Mapping(Mapping::new()),
        Some(text) => serde_yaml::from_str(text).map_err(|e| bad(e.to_string()))?,
    };
    if doc.is_null() {
        doc = Value::Mapping(Mapping::new());
    }
    if !doc.is_mapping() {
        return Err(bad("expected a mapping".to_owned()));
    }
    for path in replace {
        remove(&mut doc, path);
    }
    deep_merge(&mut doc, patch);
    let text = serde_yaml::to_string(&doc).map_err(|e| bad(e.to_string()))?;
    crate::keys::write_private(&path, text.as_bytes()).map_err(io)?;
    Ok(Previous(previous))
}

/// Puts `local.yaml` back as it was before [`update`].
pub(crate) fn restore(data_dir: &Path, previous: Previous) -> Result<(), KeyFileError> {
    let path = crate::keys::local_yaml_path(data_dir);
    let result = match previous.0 {
        Some(text) => crate::keys::write_private(&path, text.as_bytes()),
        None => std::fs::remove_file(&path),
    };
    result.map_err(|source| KeyFileError::Io { path, source })
}

fn remove(doc: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = doc;
    for key in parents {
        match node.get_mut(*key) {
            Some(child) => node = child,
            None => return,
        }
    }
    if let Some(map) = node.as_mapping_mut() {
        map.remove(*last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_follows_the_reference_rules() -> Result<(), serde_yaml::Error> {
        let mut base: Value =
            serde_yaml::from_str("a: {b: 1, c: [1, 2], d: x}\ne: 1\nf: {g: 1}\n")?;
        let layer: Value = serde_yaml::from_str("a: {b: 2, c: [3]}\ne: null\nh: new\n")?;
        deep_merge(&mut base, layer);
        let want: Value =
            serde_yaml::from_str("a: {b: 2, c: [3], d: x}\ne: null\nf: {g: 1}\nh: new\n")?;
        assert_eq!(base, want);
        Ok(())
    }

    #[test]
    fn update_merges_replaces_and_restores() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = crate::keys::local_yaml_path(dir.path());
        std::fs::write(
            &file,
            "server:\n  proxy_api_key: k\nmodel:\n  aliases: {old: gpt-5.4}\n",
        )?;
        let patch: Value =
            serde_yaml::from_str("model: {aliases: {new: gpt-5.5}}\nollama: {enabled: true}\n")?;
        let previous = update(dir.path(), patch, &[&["model", "aliases"]])?;
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&file)?)?;
        assert_eq!(doc["server"]["proxy_api_key"].as_str(), Some("k"));
        assert_eq!(doc["model"]["aliases"]["new"].as_str(), Some("gpt-5.5"));
        assert!(doc["model"]["aliases"].get("old").is_none());
        assert_eq!(doc["ollama"]["enabled"].as_bool(), Some(true));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&file)?.permissions().mode() & 0o777,
                0o600
            );
        }
        restore(dir.path(), previous)?;
        let text = std::fs::read_to_string(&file)?;
        assert!(text.contains("old: gpt-5.4"));
        Ok(())
    }

    #[test]
    fn merge_layer_names_the_layer_on_bad_yaml() -> Result<(), ConfigError> {
        let raw = crate::GatewayConfig::embedded_raw()?;
        let merged = merge_layer(&raw, "ollama:\n  enabled: true\n", "local.yaml")?;
        assert_eq!(merged.ollama.enabled, Some(true));
        assert_eq!(merged.server.port, raw.server.port);
        let err = merge_layer(&raw, "ollama: [", "local.yaml").err();
        assert!(matches!(err, Some(ConfigError::Layer { ref layer, .. }) if layer == "local.yaml"));
        Ok(())
    }
}
