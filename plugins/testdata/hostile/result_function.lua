-- want: result
-- error: f: cannot convert the result: callback: a function cannot be converted to a value
function f(ctx)
  return { callback = function() end }
end
