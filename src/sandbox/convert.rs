//! A script's tool arguments as JSON values, read straight from the QuickJS values: no JSON
//! text is written in the sandbox and parsed again in the host, which was a fifth of what the
//! sandbox added to every call.
//!
//! The result is what `JSON.parse(JSON.stringify(value))` gives. Plain data (objects whose
//! prototype is `Object.prototype` or null, arrays, strings, numbers, booleans, null) is read
//! here; any other object (a `Date`, a class instance, a boxed primitive, a proxy, anything
//! with a `toJSON`) is handed to QuickJS's own `JSON.stringify`, so its JSON semantics hold.

use rquickjs::{Ctx, Object, Value};
use serde_json::Value as Json;

/// Plain data nested deeper than this goes through `JSON.stringify`, which finds cycles.
const MAX_DEPTH: usize = 64;

/// Why arguments are not JSON.
#[derive(Debug)]
pub(crate) enum ConvertError {
    /// The script's code threw (a getter, a `toJSON`, a cycle, a BigInt): the exception is
    /// pending in the context.
    Thrown,
    /// `JSON.stringify` wrote something serde_json does not read (a lone surrogate, say).
    NotJson(String),
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
/// function, a symbol).
pub(crate) fn to_json<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    object_prototype: &Object<'js>,
) -> Result<Option<Json>, ConvertError> {
    convert(ctx, value, object_prototype, 0)
}

fn convert<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    object_prototype: &Object<'js>,
    depth: usize,
) -> Result<Option<Json>, ConvertError> {
    if let Some(s) = value.as_string() {
        return match s.to_string() {
            Ok(s) => Ok(Some(Json::String(s))),
            // Not valid Unicode (a lone surrogate): let JSON.stringify escape it.
            Err(_) => stringified(ctx, value),
        };
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
    if value.is_undefined() || value.is_symbol() || value.is_function() {
        return Ok(None);
    }
    let Some(object) = value.as_object() else {
        // A BigInt, or anything else JSON.stringify has an answer for (a TypeError).
        return stringified(ctx, value);
    };
    if depth >= MAX_DEPTH || value.is_proxy() {
        return stringified(ctx, value);
    }
    let to_json: Value = object.get("toJSON")?;
    if to_json.is_function() {
        return stringified(ctx, value);
    }
    if let Some(array) = value.as_array() {
        let mut items = Vec::with_capacity(array.len());
        for item in array.iter::<Value>() {
            let item = item?;
            items.push(convert(ctx, &item, object_prototype, depth + 1)?.unwrap_or(Json::Null));
        }
        return Ok(Some(Json::Array(items)));
    }
    let plain = object
        .get_prototype()
        .is_none_or(|proto| proto == *object_prototype);
    if !plain {
        return stringified(ctx, value);
    }
    let mut map = serde_json::Map::new();
    for entry in object.props::<String, Value>() {
        let (key, item) = entry?;
        if let Some(item) = convert(ctx, &item, object_prototype, depth + 1)? {
            map.insert(key, item);
        }
    }
    Ok(Some(Json::Object(map)))
}

/// A number as JSON.stringify writes it: not finite is `null`, -0 is 0, and integral values
/// are integers.
fn number(f: f64) -> Json {
    if !f.is_finite() {
        return Json::Null;
    }
    // 2^53: beyond it an f64 no longer holds every integer, and JSON keeps the float.
    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation)]
        return Json::from(f as i64);
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

    /// Each expression's conversion against JSON.parse(JSON.stringify(expression)).
    #[test]
    fn conversion_agrees_with_json_stringify() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let proto: Object = ctx
                .globals()
                .get::<_, Object>("Object")
                .unwrap()
                .get("prototype")
                .unwrap();
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
            let proto: Object = ctx
                .globals()
                .get::<_, Object>("Object")
                .unwrap()
                .get("prototype")
                .unwrap();
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
