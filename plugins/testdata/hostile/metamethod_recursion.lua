-- want: error
-- error: stack overflow
function f(ctx)
  local t = setmetatable({}, { __index = function(t, k) return t[k] end })
  return t.x
end
