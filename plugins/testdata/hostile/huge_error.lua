-- want: error
-- error: ... (cut)
function f(ctx)
  error(string.rep("x", 4 * 1024 * 1024 - 1))
end
