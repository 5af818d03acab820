//! Serde plumbing for string enums that keep values they do not know.
//!
//! Servers add enum values faster than clients ship (a new `finish_reason`, a
//! new `service_tier`). Every string enum in this crate therefore has an
//! `Other(String)` variant, and serializes and deserializes through the two
//! functions here instead of `#[derive]`, which would reject unknown values.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// A string enum with a catch-all variant: every string maps to some value.
pub(crate) trait StringEnum: Sized {
    /// The wire spelling of this value.
    fn as_str(&self) -> &str;
    /// Maps a wire string to a value; unknown strings become `Other`.
    fn from_wire(s: &str) -> Self;
}

/// Serializes a [`StringEnum`] as its wire string.
pub(crate) fn serialize<T: StringEnum, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_str())
}

/// Deserializes a [`StringEnum`] from a string without allocating for known values.
pub(crate) fn deserialize<'de, T: StringEnum, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<T: StringEnum> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from_wire(v))
        }
    }
    d.deserialize_str(V(std::marker::PhantomData))
}

/// Implements `Serialize`, `Deserialize` and `Display` for a [`StringEnum`].
///
/// This is the one macro in the crate: it only forwards to the two functions
/// above, so each enum states its variants once (in `as_str`/`from_wire`).
macro_rules! string_enum_serde {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::string_enum::serialize(self, s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::string_enum::deserialize(d)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::string_enum::StringEnum::as_str(self))
            }
        }
    };
}
pub(crate) use string_enum_serde;
