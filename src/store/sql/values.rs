//! What the store binds to statements ([`Value`], [`Param`], [`Params`]) and reads from
//! rows ([`ValueRef`], [`Col`]): the same few types on either engine.

use std::borrow::Cow;

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    /// An owned text value.
    pub fn text(s: impl Into<String>) -> Value<'static> {
        Value::Text(Cow::Owned(s.into()))
    }
    /// The value, owned.
    pub fn to_static(&self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
            Value::Text(s) => Value::Text(Cow::Owned(s.to_string())),
            Value::Blob(b) => Value::Blob(Cow::Owned(b.to_vec())),
        }
    }

    fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
            Value::Text(s) => Value::Text(Cow::Borrowed(s)),
            Value::Blob(b) => Value::Blob(Cow::Borrowed(b)),
        }
    }
}

/// Anything that binds as a [`Value`].
pub trait Param {
    fn value(&self) -> Value<'_>;
}

impl Param for Value<'_> {
    fn value(&self) -> Value<'_> {
        self.borrowed()
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, i16, u8, u16, u32, bool);

impl Param for usize {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for u64 {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// The parameters of one statement, in placeholder order.
pub trait Params {
    fn count(&self) -> usize;
    fn get(&self, i: usize) -> Value<'_>;
}

impl Params for () {
    fn count(&self) -> usize {
        0
    }
    fn get(&self, _: usize) -> Value<'_> {
        Value::Null
    }
}

impl<T: Param, const N: usize> Params for [T; N] {
    fn count(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<T: Param> Params for [T] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<T: Param> Params for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<P: Params + ?Sized> Params for &P {
    fn count(&self) -> usize {
        (**self).count()
    }
    fn get(&self, i: usize) -> Value<'_> {
        (**self).get(i)
    }
}

/// Parameters of different types: `params![id, name, at]`.
#[macro_export]
#[doc(hidden)]
macro_rules! __store_params {
    ($($p:expr),* $(,)?) => {
        &[$(&$p as &dyn $crate::store::sql::Param),*] as &[&dyn $crate::store::sql::Param]
    };
}

/// A value read from a row, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'r> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'r str),
    Blob(&'r [u8]),
}

impl<'r> ValueRef<'r> {
    /// The value, to bind again as it is (a row copied straight into another desk).
    pub fn bound(self) -> Value<'r> {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(s) => Value::Text(Cow::Borrowed(s)),
            ValueRef::Blob(b) => Value::Blob(Cow::Borrowed(b)),
        }
    }

    /// The value, owned, to bind again (a copy of a row into another desk).
    pub fn owned(self) -> Value<'static> {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(s) => Value::Text(Cow::Owned(s.to_string())),
            ValueRef::Blob(b) => Value::Blob(Cow::Owned(b.to_vec())),
        }
    }
    pub(super) fn kind(self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Int(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }
}

/// A type a column reads as.
pub trait Col<'r>: Sized {
    /// What the type is, for an error.
    const WHAT: &'static str;
    fn from_value(v: ValueRef<'r>) -> Option<Self>;
}

macro_rules! int_col {
    ($($t:ty),*) => {$(
        impl Col<'_> for $t {
            const WHAT: &'static str = stringify!($t);
            fn from_value(v: ValueRef<'_>) -> Option<Self> {
                match v {
                    ValueRef::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_col!(i64, i32, i16, u8, u16, u32, u64, usize);

impl Col<'_> for bool {
    const WHAT: &'static str = "a flag";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl Col<'_> for f64 {
    const WHAT: &'static str = "a number";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Real(r) => Some(r),
            ValueRef::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl<'r> Col<'r> for &'r str {
    const WHAT: &'static str = "text";
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl Col<'_> for String {
    const WHAT: &'static str = "text";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Text(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

impl<'r> Col<'r> for &'r [u8] {
    const WHAT: &'static str = "bytes";
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Blob(b) => Some(b),
            _ => None,
        }
    }
}

impl Col<'_> for Vec<u8> {
    const WHAT: &'static str = "bytes";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Blob(b) => Some(b.to_vec()),
            _ => None,
        }
    }
}

impl<'r, T: Col<'r>> Col<'r> for Option<T> {
    const WHAT: &'static str = T::WHAT;
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A column index (only `usize`: a literal index needs no suffix).
pub trait Idx: Copy {
    fn index(self) -> usize;
}

impl Idx for usize {
    fn index(self) -> usize {
        self
    }
}
