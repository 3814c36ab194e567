"""2-D convolution (cross-correlation, as in deep learning) forward and backward."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_shape, result_dtype
from . import _depthwise, _kernels as k, direct, im2col, winograd, winograd_strided
from ._geometry import batched, conv_padding, out_size, pair

__all__ = ["conv2d", "conv2d_backward"]


class _Geometry:
    """Validated shapes and hyper-parameters of one convolution."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
        n, c, h, w = x_shape
        kk, c_g, r, s = w_shape
        if r == 0 or s == 0:
            raise ValueError(f"kernel size should be greater than zero, got weight shape "
                             f"{w_shape}")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"groups must be a positive int, got {groups!r}")
        if c % groups:
            raise ValueError(f"input channels C={c} (x shape {x_shape}) are not divisible by groups={groups}")
        if kk % groups:
            raise ValueError(f"output channels K={kk} (weight shape {w_shape}) are not divisible by groups={groups}")
        if c_g * groups != c:
            raise ValueError(
                f"channel mismatch: x has C={c} channels, so weight must have shape "
                f"(K, {c // groups}, R, S) for groups={groups}, got {w_shape}")
        self.stride = pair(stride, "stride", minimum=1)
        self.dilation = pair(dilation, "dilation", minimum=1)
        (pt, pb), (pl, pr) = conv_padding(padding, (r, s), self.dilation, self.stride)
        ext_h = self.dilation[0] * (r - 1) + 1
        ext_w = self.dilation[1] * (s - 1) + 1
        if ext_h > h + pt + pb or ext_w > w + pl + pr:
            raise ValueError(
                f"kernel of extent ({ext_h}, {ext_w}) (weight shape {w_shape}, dilation "
                f"{self.dilation}) is larger than the padded input ({h + pt + pb}, {w + pl + pr}) "
                f"of x shape {x_shape}")
        self.n, self.c, self.h, self.w = n, c, h, w
        self.k, self.c_g, self.r, self.s = kk, c_g, r, s
        self.groups, self.k_g = groups, kk // groups
        self.ph, self.pw = pt, pl
        self.pads = (pt, pb, pl, pr)
        self.oh = out_size(h, pt + pb, ext_h, self.stride[0])
        self.ow = out_size(w, pl + pr, ext_w, self.stride[1])

    @property
    def flops(self):
        """Multiply-adds of one pass (forward, or each of the two backward products)."""
        return self.n * self.k * self.oh * self.ow * self.c_g * self.r * self.s

    @property
    def image_gemm(self):
        """Multiply-adds of one im2col GEMM (one image and channel group)."""
        return self.k_g * self.c_g * self.r * self.s * self.oh * self.ow

    @property
    def out_shape(self):
        return (self.n, self.k, self.oh, self.ow)

    def is_pointwise(self):
        """1x1, stride 1, no padding: the input plane already is the column matrix."""
        return (self.r, self.s, self.stride, self.ph, self.pw, self.oh, self.ow) == (
            1, 1, (1, 1), 0, 0, self.h, self.w)

    @property
    def depthwise(self):
        """One input channel per group, and more than one group: the direct
        kernels of :mod:`._depthwise`. A single-channel image with one group
        (e.g. 1 -> 8 channels, 5x5) stays on im2col + GEMM, measured 2.2x
        faster there at one thread."""
        return self.c_g == 1 and self.groups > 1

    def kernel_geometry(self):
        """The geometry as the kernels take it."""
        return k.Geometry(self.r, self.s, *self.stride, self.ph, self.pw, *self.dilation,
                          self.oh, self.ow, self.is_pointwise())


def _inputs(x, weight, extra=()):
    """C-ordered arrays in one dtype, ``x`` (and ``grad_out``) batched; whether ``x`` was not."""
    x = as_float_array(x, "x")
    x4, unbatched = batched(x, "x")
    weight = as_float_array(weight, "weight", ndim=4)
    arrays = [(x4, "x"), (weight, "weight")]
    for a, name in extra:
        if name == "grad_out":
            if a.ndim != x.ndim:
                raise ValueError(f"grad_out must be {x.ndim}-D like x (shape {x.shape}), got "
                                 f"shape {a.shape}")
            a = a[None] if unbatched else a
        arrays.append((a, name))
    dtype = result_dtype(*(a.dtype for a, _ in arrays))
    return [np.ascontiguousarray(a, dtype=dtype) for a, _ in arrays], dtype, unbatched


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of a batch of images, as ``torch.nn.functional.conv2d``.

    Parallel over chunks of images: each thread unfolds a chunk's images
    (one, or several small ones side by side) and one channel group into a
    column matrix (im2col, so extra memory is one such matrix per thread) and
    multiplies it by the weights with BLAS on one thread (rule in
    :mod:`.im2col`); 1x1 stride-1 layers skip the unfolding. Depthwise
    layers (one input channel per group) run a direct kernel instead,
    parallel over output planes. 3x3 stride-1 layers with 16 or more input
    and output channels and at least 2**24 multiply-adds use Winograd
    F(4x4, 3x3) (rule in :mod:`.winograd`; deep layers need enough 4x4
    output tiles to pay for their transformed weights), a quarter of the
    multiplies. Other 3x3 layers, 5x5 layers with up to 256 input channels
    (128 in float32 at stride 2) and 7x7 layers with up to 128 run a direct
    kernel in register tiles (3x3 at stride 1 with up to 64 input channels in
    float32, any number with 15 or fewer output channels, 1024 in float64;
    at stride 2 up to 32 in float32, 256 in float64; rules in
    :mod:`.direct`). Float32 stride-2 3x3 layers with 33
    to 64 input and 16 or more output channels split the input into its four
    even/odd phases and use Winograd F(4x4, 2x2) on them, 0.56 of the
    multiplies. The Winograd
    float32 results differ from the exact ones by about 1e-5 of the output's
    largest magnitude (im2col and the direct kernels: about 1e-7). Inputs
    holding NaN or Inf do not take Winograd, so they reach exactly the
    outputs whose window holds them.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W), or (C, H, W) for one image
    weight : array_like, shape (K, C // groups, R, S)
        R and S at least 1.
    bias : array_like, shape (K,), optional
    stride, dilation : int or (int, int)
        Positive.
    padding : int, (int, int), 'valid' or 'same'
        Zero padding on both sides; 'same' (stride 1 only) pads so the output
        has the input's size, with the odd pixel at the bottom/right as torch.
    groups : int
        C and K must both be divisible by it; ``groups == C`` is depthwise.

    Returns
    -------
    ndarray, shape (N, K, OH, OW), or (K, OH, OW) for an unbatched ``x``

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> fm.conv2d(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    extra = [] if bias is None else [(as_float_array(bias, "bias", ndim=1), "bias")]
    arrays, dtype, unbatched = _inputs(x, weight, extra)
    x, weight = arrays[0], arrays[1]
    geo = _Geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    if bias is None:
        bias = np.zeros(geo.k, dtype=dtype)
    else:
        bias = arrays[2]
        check_shape(bias, (geo.k,), "bias")
    out = np.empty(geo.out_shape, dtype=dtype)
    if out.size and weight.shape[1] == 0:  # no input channels: the bias alone
        out[...] = bias[None, :, None, None]
    elif out.size and geo.depthwise:
        with kernel_threads(geo.flops, "flops"):
            _depthwise.depthwise_forward(x, weight, bias, geo.kernel_geometry(), geo.k_g, out)
    elif out.size and winograd.applies(geo) and winograd.forward(x, weight, bias, geo, out):
        pass
    elif out.size and direct.applies(geo, dtype):
        direct.forward(x, weight, bias, geo, out)
    elif (out.size and winograd_strided.applies(geo)
          and winograd_strided.forward(x, weight, bias, geo, out)):
        pass
    elif out.size:
        im2col.forward(x, weight, bias, geo, out)
    return out[0] if unbatched else out


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` with respect to x, weight and bias.

    The kernels follow :func:`conv2d`'s: im2col + GEMM with col2im, direct
    depthwise kernels, Winograd F(4x4, 3x3) for the stride-1 3x3 layers it
    takes (the input gradient needs paddings of at most 2), and Winograd
    F(4x4, 2x2) over the four even/odd phases for float32 stride-2 3x3 layers
    with 8 to 32 input channels (rules in :mod:`.winograd` and
    :mod:`.winograd_strided`); the input gradient of stride-1 3x3 layers with
    fewer than 16 output and at least 8 input channels runs the direct
    kernel of :func:`conv2d` on ``grad_out`` (rule in :mod:`.direct`).
    Inputs holding NaN or Inf, or values that could overflow a transform,
    take im2col for the Winograd gradient they feed.

    Parameters
    ----------
    grad_out : array_like, shape (N, K, OH, OW), or (K, OH, OW) with an unbatched ``x``
        Gradient of the loss with respect to the convolution's output.
    x, weight, stride, padding, dilation, groups
        As given to :func:`conv2d`.

    Returns
    -------
    grad_x : ndarray, shape (N, C, H, W)
    grad_weight : ndarray, shape (K, C // groups, R, S)
    grad_bias : ndarray, shape (K,)

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> gx, gw, gb = fm.conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> gx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    grad_out = as_float_array(grad_out, "grad_out")
    arrays, dtype, unbatched = _inputs(x, weight, [(grad_out, "grad_out")])
    x, weight, grad_out = arrays
    geo = _Geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    check_shape(grad_out, geo.out_shape, "grad_out")
    g3 = grad_out.reshape(geo.n, geo.k, geo.oh * geo.ow)
    partials = np.empty((geo.n, geo.k), dtype=np.float64)
    with kernel_threads(g3.size, "elementwise"):
        k.channel_sums(g3, partials)
    grad_bias = partials.sum(axis=0).astype(dtype)
    winograd_paths = not geo.depthwise and grad_out.size and weight.size
    # the Winograd paths write every element of grad_x; the others add into it
    grad_x = (np.empty if winograd_paths else np.zeros)(x.shape, dtype=dtype)
    if grad_out.size == 0 or weight.size == 0:
        return grad_x[0] if unbatched else grad_x, np.zeros(weight.shape, dtype=dtype), grad_bias
    if geo.depthwise:
        grad_w = np.empty(weight.shape, dtype=dtype)
        with kernel_threads(2 * geo.flops, "flops"):
            if (geo.r, geo.s, geo.stride, geo.dilation, geo.k_g) == (3, 3, (1, 1), (1, 1), 1):
                _depthwise.depthwise_backward_3x3(x, weight, grad_out, geo.ph, geo.pw, grad_w,
                                                  grad_x)
            else:
                _depthwise.depthwise_backward(x, weight, grad_out, geo.kernel_geometry(),
                                              geo.k_g, grad_w, grad_x)
        return (grad_x[0] if unbatched else grad_x), grad_w, grad_bias
    done, grad_w = winograd.backward(grad_out, x, weight, geo, grad_x)
    if not done and grad_w is None:
        done, grad_w = winograd_strided.backward(grad_out, x, weight, geo, grad_x)
    if not done and direct.applies_input_grad(geo, dtype):
        direct.input_grad(grad_out, weight, geo, grad_x)
        done = True
    if not done:  # col2im adds into a fresh zeroed array (the untouched empty one cost nothing)
        grad_x = np.zeros(x.shape, dtype=dtype)
    if not done or grad_w is None:
        grad_w_im2col = im2col.backward(grad_out, x, weight, geo, grad_x, not done,
                                        grad_w is None)
        grad_w = grad_w_im2col if grad_w is None else grad_w
    return (grad_x[0] if unbatched else grad_x), grad_w, grad_bias
