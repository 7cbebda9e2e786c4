//! A script's tool arguments as JSON values, read straight from the QuickJS values: no JSON
//! text is written in the sandbox and parsed again in the host, which was a fifth of what the
//! sandbox added to every call.
//!
//! The result is what `JSON.parse(JSON.stringify(value))` gives. Plain data (ordinary objects
//! whose prototype is `Object.prototype` or null, arrays, strings, numbers, booleans, null) is
//! read here. Anything else anywhere in the value (a `Date`, a class instance, a boxed
//! primitive, a proxy, a function, a BigInt, anything with a `toJSON`, a lone surrogate), and
//! any value past the [`Budget`] or nested deeper than [`MAX_DEPTH`], hands the *whole* value
//! to QuickJS's own `JSON.stringify`: its semantics hold exactly (toJSON keys, cycles), under
//! the run's memory limit.

use std::sync::OnceLock;

use rquickjs::{Ctx, Object, Value, qjs};
use serde_json::Value as Json;

/// Plain data nested deeper than this goes through `JSON.stringify`, which finds cycles.
const MAX_DEPTH: usize = 64;

/// How much is read here before the whole of the arguments is left to `JSON.stringify`
/// instead, which runs under the run's memory limit and deadline. A loop here runs under
/// neither, and what it allocates is not the script's: think of an empty array whose length is
/// 2^32 - 1, or one megabyte-long string referenced from a hundred thousand places.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Values (each string, number, array, object...).
    values: usize,
    /// Bytes of strings and keys.
    bytes: usize,
}

const BUDGET: Budget = Budget {
    values: 100_000,
    bytes: 1 << 20,
};

impl Budget {
    fn take(&mut self, values: usize, bytes: usize) -> Result<(), Stop> {
        match (
            self.values.checked_sub(values),
            self.bytes.checked_sub(bytes),
        ) {
            (Some(values), Some(bytes)) => {
                *self = Self { values, bytes };
                Ok(())
            }
            _ => Err(Stop::Defer),
        }
    }
}

/// Why arguments are not JSON.
#[derive(Debug)]
pub(crate) enum ConvertError {
    /// The script's code threw (a getter, a `toJSON`, a cycle, a BigInt): the exception is
    /// pending in the context.
    Thrown,
    /// `JSON.stringify` wrote something serde_json does not read (a lone surrogate, say).
    NotJson(String),
}

/// Why reading in Rust stopped.
enum Stop {
    Failed(ConvertError),
    /// Not plain data, or over the [`Budget`]: [`to_json`] hands the whole to `JSON.stringify`.
    Defer,
}

impl From<rquickjs::Error> for Stop {
    fn from(error: rquickjs::Error) -> Self {
        Self::Failed(error.into())
    }
}

impl From<rquickjs::Error> for ConvertError {
    fn from(error: rquickjs::Error) -> Self {
        match error {
            rquickjs::Error::Exception => Self::Thrown,
            other => Self::NotJson(other.to_string()),
        }
    }
}

/// The JSON value of `value`; `None` where JSON.stringify gives `undefined` (undefined, a
/// function, a symbol). When the whole goes to `JSON.stringify` after all, a getter met before
/// the switch has run twice.
pub(crate) fn to_json<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    object_prototype: &Object<'js>,
) -> Result<Option<Json>, ConvertError> {
    let mut budget = BUDGET;
    match convert(ctx, value, object_prototype, 0, &mut budget) {
        Ok(json) => Ok(json),
        Err(Stop::Failed(error)) => Err(error),
        Err(Stop::Defer) => stringified(ctx, value),
    }
}

fn convert<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    object_prototype: &Object<'js>,
    depth: usize,
    budget: &mut Budget,
) -> Result<Option<Json>, Stop> {
    budget.take(1, 0)?;
    if let Some(s) = value.as_string() {
        // Not valid Unicode (a lone surrogate): JSON.stringify escapes it.
        let s = s.to_string().map_err(|_| Stop::Defer)?;
        budget.take(0, s.len())?;
        return Ok(Some(Json::String(s)));
    }
    if let Some(i) = value.as_int() {
        return Ok(Some(Json::from(i)));
    }
    if let Some(f) = value.as_float() {
        return Ok(Some(number(f)));
    }
    if let Some(b) = value.as_bool() {
        return Ok(Some(Json::Bool(b)));
    }
    if value.is_null() {
        return Ok(Some(Json::Null));
    }
    if value.is_undefined() || value.is_symbol() {
        return Ok(None);
    }
    // Functions (which may have a `toJSON`), BigInts, proxies, and what is too deep.
    let Some(object) = value.as_object() else {
        return Err(Stop::Defer);
    };
    if value.is_function() || value.is_proxy() || depth >= MAX_DEPTH {
        return Err(Stop::Defer);
    }
    let to_json: Value = object.get("toJSON")?;
    if to_json.is_function() {
        return Err(Stop::Defer);
    }
    if let Some(array) = value.as_array() {
        // Read as a number: rquickjs's `Array::len` panics on lengths of 2^31 and more.
        let length: f64 = object.get("length")?;
        if !(0.0..=budget.values as f64).contains(&length) {
            return Err(Stop::Defer);
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let length = length as usize;
        budget.take(length, 0)?;
        let mut items = Vec::with_capacity(length);
        for index in 0..length {
            let item: Value = array.get(index)?;
            let item = convert(ctx, &item, object_prototype, depth + 1, budget)?;
            items.push(item.unwrap_or(Json::Null));
        }
        return Ok(Some(Json::Array(items)));
    }
    let plain = is_ordinary_object(ctx, value)
        && object
            .get_prototype()
            .is_none_or(|proto| proto == *object_prototype);
    if !plain {
        return Err(Stop::Defer);
    }
    let mut map = serde_json::Map::new();
    for entry in object.props::<String, Value>() {
        let (key, item) = entry?;
        budget.take(0, key.len())?;
        if let Some(item) = convert(ctx, &item, object_prototype, depth + 1, budget)? {
            map.insert(key, item);
        }
    }
    Ok(Some(Json::Object(map)))
}

/// Whether `value` is of QuickJS's ordinary Object class: not a boxed primitive, a `Date`, a
/// map, an error... whatever its prototype was set to.
fn is_ordinary_object<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> bool {
    /// The class id of `{}` (the same in every runtime of the process).
    static OBJECT_CLASS: OnceLock<qjs::JSClassID> = OnceLock::new();
    let class_of = |v: &Value<'js>| {
        #[allow(unsafe_code)]
        // SAFETY: `JS_GetClassID` only reads the tag and class of a live value it is lent.
        unsafe {
            qjs::JS_GetClassID(v.as_raw())
        }
    };
    let object_class = match OBJECT_CLASS.get() {
        Some(class) => *class,
        None => match Object::new(ctx.clone()) {
            Ok(probe) => *OBJECT_CLASS.get_or_init(|| class_of(probe.as_value())),
            // Out of memory: not known to be plain, so JSON.stringify decides.
            Err(_) => return false,
        },
    };
    class_of(value) == object_class
}

/// A number as JSON.stringify writes it and serde_json reads it back: not finite is `null`,
/// -0 is 0, and integral values below 1e21 (written as digits) are integers when they fit 64
/// bits, with the digits JSON.stringify writes (the shortest that round-trip, then zeros:
/// 2^60 is 1152921504606847000).
fn number(f: f64) -> Json {
    if !f.is_finite() {
        return Json::Null;
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // Up to 2^53 every integer is exact, and so are its digits.
        if f.abs() <= 9_007_199_254_740_992.0 {
            #[allow(clippy::cast_possible_truncation)]
            return Json::from(f as i64);
        }
        // Rust writes the same shortest digits as JavaScript, without an exponent.
        let digits = format!("{f}");
        if let Ok(i) = digits.parse::<i64>() {
            return Json::from(i);
        }
        if let Ok(u) = digits.parse::<u64>() {
            return Json::from(u);
        }
    }
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// The value through QuickJS's JSON.stringify, read back.
fn stringified<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<Option<Json>, ConvertError> {
    let Some(text) = ctx.json_stringify(value.clone())? else {
        return Ok(None);
    };
    let text = text.to_string()?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ConvertError::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    fn object_prototype<'js>(ctx: &Ctx<'js>) -> Object<'js> {
        ctx.globals()
            .get::<_, Object>("Object")
            .unwrap()
            .get("prototype")
            .unwrap()
    }

    /// Each expression's conversion against JSON.parse(JSON.stringify(expression)).
    #[test]
    fn conversion_agrees_with_json_stringify() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let proto = object_prototype(&ctx);
            let cases = [
                "({ message: 'hi', n: 3, f: 2.5, big: 1e21, small: 1e-7, neg: -0, nan: NaN, inf: -Infinity, t: true, z: null })",
                "({ u: undefined, fn() {}, [Symbol('s')]: 1, s: Symbol('x'), nested: { a: [1, undefined, () => 1, Symbol('y')] } })",
                "({ 2: 'b', 1: 'a', z: 1, a: 2 })",
                "({ d: new Date(0), m: new Map([[1, 2]]), boxed: new String('x'), n: new Number(4), re: /x/g })",
                "({ custom: { toJSON() { return { swapped: true }; } }, err: new Error('e') })",
                "(() => { class P { constructor() { this.x = 1; } get y() { return 2; } } return { p: new P() }; })()",
                "(() => { const o = Object.create(null); o.k = 'v'; return o; })()",
                "({ get computed() { return 'got'; } })",
                "[1, 'two', [3], { four: 4 }, , 6]",
                "({ arr: Object.assign([1, 2], { extra: 3 }), typed: new Uint8Array([1, 2]) })",
                "({ deep: JSON.parse('[' .repeat(100) + ']'.repeat(100)) })",
                "({ proxy: new Proxy({ a: 1 }, {}) })",
                "({ text: 'é ü 😀 \\n \"quoted\"' })",
                "9007199254740993",
                "'just a string'",
                "({ long: 'x'.repeat(1 << 21), keys: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => ['k'.repeat(400) + i, i])) })",
                "({ wide: Array.from({ length: 100001 }, (_, i) => i) })",
                "({ big: 2 ** 60, neg: -(2 ** 62), huge: 2 ** 64, top: 2 ** 63, over: 1e21, under: 999999999999999900000 })",
                "(() => { const f = () => 1; f.toJSON = () => 'fn'; return { f }; })()",
                "({ a: { toJSON(key) { return 'key=' + key; } } })",
                "({ n: Object.setPrototypeOf(new Number(5), Object.prototype), b: Object.setPrototypeOf(new Boolean(true), Object.prototype) })",
                "({ args: (function () { return arguments; })(1, 2) })",
                "(() => { class A extends Array {} const a = new A(); a.push(1, 2); return { a }; })()",
                "Array.from({ length: 400 }, () => Array.from({ length: 300 }, (_, i) => ({ i })))",
            ];
            for source in cases {
                let value: Value = ctx.eval(source).unwrap();
                let expected: Option<Json> = ctx
                    .json_stringify(value.clone())
                    .unwrap()
                    .map(|s| serde_json::from_str(&s.to_string().unwrap()).unwrap());
                let got = to_json(&ctx, &value, &proto).unwrap();
                assert_eq!(got, expected, "{source}");
            }
        });
    }

    #[test]
    fn what_json_refuses_is_refused() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let proto = object_prototype(&ctx);
            for source in [
                "(() => { const a = { b: {} }; a.b.a = a; return a; })()",
                "({ n: 10n })",
                "({ get boom() { throw new Error('getter'); } })",
            ] {
                let value: Value = ctx.eval(source).unwrap();
                let result = to_json(&ctx, &value, &proto);
                assert!(
                    matches!(result, Err(ConvertError::Thrown)),
                    "{source}: {result:?}"
                );
                // The exception is there to be caught.
                let caught = ctx.catch();
                assert!(caught.is_error(), "{source}: {caught:?}");
            }
            let value: Value = ctx.eval("undefined").unwrap();
            assert_eq!(to_json(&ctx, &value, &proto).unwrap(), None);
        });
    }
}
