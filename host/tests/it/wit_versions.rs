//! World versions: a component is loaded as the `mooring:connector` version it
//! imports; other versions, mixtures and non-connectors are refused with a message
//! that names the versions this host supports.

use std::sync::Arc;

use mooring::runtime::PluginError;
use mooring::runtime::wit::{WitVersion, WorldError};
use wasm_encoder::{
    Component, ComponentImportSection, ComponentTypeRef, ComponentTypeSection, ComponentValType,
    InstanceType, PrimitiveValType,
};

use crate::support::*;

/// A component that imports `mooring:connector/{iface}@{version}` for each pair (each
/// an instance exporting `now-millis: func() -> u64`) and exports nothing.
pub(crate) fn component_importing(imports: &[(&str, &str)]) -> Vec<u8> {
    let mut types = ComponentTypeSection::new();
    let mut instance = InstanceType::new();
    instance
        .ty()
        .function()
        .params(Vec::<(&str, ComponentValType)>::new())
        .result(Some(ComponentValType::Primitive(PrimitiveValType::U64)));
    instance.export("now-millis", ComponentTypeRef::Func(0));
    types.instance(&instance);
    let mut section = ComponentImportSection::new();
    for (iface, version) in imports {
        let name = format!("mooring:connector/{iface}@{version}");
        section.import(name.as_str(), ComponentTypeRef::Instance(0));
    }
    let mut component = Component::new();
    component.section(&types);
    if !imports.is_empty() {
        component.section(&section);
    }
    component.finish()
}

#[tokio::test]
async fn a_newer_world_is_refused_naming_the_supported_versions() {
    let rt = runtime(test_limits(), None, Arc::default());
    let bytes = component_importing(&[("clock", "0.3.0")]);
    let error = rt
        .load(&bytes, &artifact_cache())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            &error,
            PluginError::UnsupportedWorld(WorldError::Unsupported { found }) if found == "0.3.0"
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the component implements mooring:connector@0.3.0; this host supports 0.1.0"
    );
}

#[tokio::test]
async fn mixed_versions_and_non_connectors_are_refused() {
    let rt = runtime(test_limits(), None, Arc::default());
    let cache = artifact_cache();
    let mixed = component_importing(&[("clock", "0.1.0"), ("clock", "0.2.0")]);
    let error = rt.load(&mixed, &cache).await.expect_err("refused");
    assert!(
        matches!(
            error,
            PluginError::UnsupportedWorld(WorldError::Mixed { .. })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("0.1.0, 0.2.0"), "{error}");
    let empty = component_importing(&[]);
    let error = rt.load(&empty, &cache).await.expect_err("refused");
    assert!(
        matches!(
            error,
            PluginError::UnsupportedWorld(WorldError::NotAConnector)
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("this host supports 0.1.0"),
        "{error}"
    );
}

#[tokio::test]
async fn a_supported_version_without_its_exports_is_incompatible() {
    let rt = runtime(test_limits(), None, Arc::default());
    let bytes = component_importing(&[("clock", "0.1.0")]);
    let error = rt
        .load(&bytes, &artifact_cache())
        .await
        .expect_err("refused");
    assert!(matches!(error, PluginError::Incompatible(_)), "{error:?}");
    assert!(
        error.to_string().contains("mooring:connector@0.1.0 world"),
        "{error}"
    );
}

#[tokio::test]
async fn real_plugins_are_detected_as_0_1_0() {
    let rt = runtime(test_limits(), None, Arc::default());
    let plugin = load(&rt, "test-well-behaved").await;
    assert_eq!(plugin.wit_version(), WitVersion::V0_1_0);
    assert_eq!(WitVersion::SUPPORTED, &[WitVersion::V0_1_0]);
}
