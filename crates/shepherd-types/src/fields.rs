//! Field-by-field deserialization for structs that keep unknown fields in `extra`.
//!
//! `#[serde(flatten)] extra` is the obvious way to keep unknown fields, but serde
//! implements it by buffering every field of the object (and everything nested in it)
//! into an intermediate tree, then reading that tree again. On the hot path (every chat
//! completion, every stream chunk) callgrind showed the usage object alone at 7 % of all
//! the instructions of a whole chat call through the client. The structs on that path
//! implement [`ReadFields`] instead: known fields are read straight from the input, the
//! rest land in `extra` as before, and the wire format is unchanged (`Serialize` stays
//! derived, with `flatten`, which costs nothing when writing).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::Extra;

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A struct with known fields and an `extra` map for the rest, read from a JSON object
/// field by field (see the module docs for why).
pub(crate) trait ReadFields: Default {
    /// What the error message says was expected.
    const EXPECTING: &'static str;
    /// Fields that must be present (at most 64); a missing one is an error naming it.
    const REQUIRED: &'static [&'static str] = &[];
    /// Where unknown fields go.
    fn extra(&mut self) -> &mut Extra;
    /// Reads the value of field `name` if it is a known one (returning true); an
    /// unknown one is left for the caller to keep in `extra`.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
}

struct FieldsVisitor<T>(PhantomData<T>);

impl<'de, T: ReadFields> Visitor<'de> for FieldsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::default();
        let mut seen = 0u64;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if value.read_field(&name, &mut map)? {
                if let Some(i) = T::REQUIRED.iter().position(|r| *r == name) {
                    seen |= 1 << i;
                }
            } else {
                let unknown: serde_json::Value = map.next_value()?;
                value.extra().insert(name.into_owned(), unknown);
            }
        }
        for (i, name) in T::REQUIRED.iter().enumerate() {
            if seen & (1 << i) == 0 {
                return Err(de::Error::missing_field(name));
            }
        }
        Ok(value)
    }
}

/// Deserializes a [`ReadFields`] struct from an object.
pub(crate) fn deserialize_fields<'de, D: Deserializer<'de>, T: ReadFields>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(FieldsVisitor(PhantomData))
}

/// A value where `null` reads as the type's default, as a missing field does.
pub(crate) struct OrDefault<T>(pub(crate) T);

impl<'de, T: Default + Deserialize<'de>> Deserialize<'de> for OrDefault<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(OrDefault(
            Option::<T>::deserialize(deserializer)?.unwrap_or_default(),
        ))
    }
}

/// Reads the next value with `null` as the default (see [`OrDefault`]).
pub(crate) fn or_default<'de, A, T>(map: &mut A) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(map.next_value::<OrDefault<T>>()?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Sample {
        name: String,
        count: u32,
        extra: Extra,
    }

    impl ReadFields for Sample {
        const EXPECTING: &'static str = "a sample";
        const REQUIRED: &'static [&'static str] = &["name"];
        fn extra(&mut self) -> &mut Extra {
            &mut self.extra
        }
        fn read_field<'de, A: MapAccess<'de>>(
            &mut self,
            name: &str,
            map: &mut A,
        ) -> Result<bool, A::Error> {
            match name {
                "name" => self.name = map.next_value()?,
                "count" => self.count = or_default(map)?,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    impl<'de> Deserialize<'de> for Sample {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize_fields(d)
        }
    }

    #[test]
    fn known_fields_are_read_and_the_rest_kept() {
        let s: Sample =
            serde_json::from_str(r#"{"x\"y":1,"name":"a","count":null,"z":{"deep":[1]}}"#).unwrap();
        assert_eq!((s.name.as_str(), s.count), ("a", 0));
        assert_eq!(s.extra["x\"y"], 1);
        assert_eq!(s.extra["z"]["deep"][0], 1);
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let err = serde_json::from_str::<Sample>(r#"{"count":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `name`"), "{err}");
        let err = serde_json::from_str::<Sample>("3").unwrap_err().to_string();
        assert!(err.contains("a sample"), "{err}");
    }
}
