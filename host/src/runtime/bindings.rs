//! Host bindings generated from `wit/connector-0.1.0` (package `mooring:connector@0.1.0`).

wasmtime::component::bindgen!({
    path: "../wit/connector-0.1.0",
    world: "connector",
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::mooring::connector::types;
