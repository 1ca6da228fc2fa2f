"""UResQ: the paper's residual 3D UNet (METHOD.md section 6), parameterized.

Blocks ("mid" config):
  unit      = ReLU -> Dropout3d -> Conv(k, bias=False) -> BN
  stem      = Conv3x3x3(in -> w0, stride=init_stride, bias=False) -> BN (no ReLU)
  resblock  = out = U2(U1(x)) + x   (3x3x3 units, U2 carries dropout; no activation after sum)
  down      = MaxPool3d(2) -> unit 1x1x1 (c -> c_next)
  up        = unit 1x1x1 (c -> c_skip) at coarse res -> trilinear x2 (align_corners=False) -> + skip
  head      = Conv1x1x1 (bias) -> trilinear upsample by init_stride (if != 1)
Deep supervision (optional, training only): plain Conv1x1x1 aux heads on the two decoder stages
before the last one, upsampled to full resolution. In eval mode only the final output is returned.

widths has 2*n_down+1 entries, symmetric, e.g. 8,16,32,16,8 (2 downs).
The network outputs logits; the activation is declared in the model metadata (export.py).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Unit(nn.Module):
    def __init__(self, cin, cout, k, dropout=0.0):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.drop = nn.Dropout3d(dropout) if dropout > 0 else nn.Identity()
        self.conv = nn.Conv3d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm3d(cout)

    def forward(self, x):
        return self.bn(self.conv(self.drop(self.relu(x))))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        rate = 0.5 if c >= 128 else 0.2
        self.block1 = Unit(c, c, 3)
        self.block2 = Unit(c, c, 3, dropout=rate)

    def forward(self, x):
        return self.block2(self.block1(x)) + x


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pool = nn.MaxPool3d(2, 2)
        self.block = Unit(cin, cout, 1)

    def forward(self, x):
        return self.block(self.pool(x))


class Up(nn.Module):
    def __init__(self, cin, cskip):
        super().__init__()
        self.block = Unit(cin, cskip, 1)

    def forward(self, x, skip):
        y = self.block(x)
        y = F.interpolate(y, scale_factor=2, mode="trilinear", align_corners=False)
        return y + skip


class UResQ(nn.Module):
    def __init__(self, in_ch=1, n_classes=3, widths=(16, 32, 64, 32, 16), init_stride=(1, 1, 1),
                 deep_supervision=False):
        super().__init__()
        widths = list(widths)
        assert len(widths) % 2 == 1
        n_down = len(widths) // 2
        assert widths[:n_down] == widths[::-1][:n_down], "widths must be symmetric"
        if isinstance(init_stride, int):
            init_stride = (init_stride,) * 3
        self.init_stride = tuple(init_stride)
        self.n_down = n_down
        self.widths = widths
        self.conv0 = nn.Sequential(
            nn.Conv3d(in_ch, widths[0], 3, stride=self.init_stride, padding=1, bias=False),
            nn.BatchNorm3d(widths[0]))
        self.u_blocks = nn.ModuleList([ResBlock(w) for w in widths])
        self.trans_downs = nn.ModuleList([Down(widths[i], widths[i + 1]) for i in range(n_down)])
        self.trans_ups = nn.ModuleList(
            [Up(widths[n_down + i], widths[n_down + i + 1]) for i in range(n_down)])
        self.final_cls = nn.Conv3d(widths[-1], n_classes, 1, bias=True)
        self.deep_supervision = deep_supervision
        if deep_supervision:
            # aux heads after the two decoder stages before the last one
            idx = [len(widths) - 3, len(widths) - 2]
            self.aux_idx = [i for i in idx if i > n_down]
            self.aux = nn.ModuleList([nn.Conv3d(widths[i], n_classes, 1) for i in self.aux_idx])

    def _up_to(self, y, size):
        if tuple(y.shape[2:]) == tuple(size):
            return y
        return F.interpolate(y, size=size, mode="trilinear", align_corners=False)

    def forward(self, x):
        in_size = x.shape[2:]
        h = self.conv0(x)
        skips = []
        for i in range(self.n_down):
            h = self.u_blocks[i](h)
            skips.append(h)
            h = self.trans_downs[i](h)
        h = self.u_blocks[self.n_down](h)
        feats = {}
        for i in range(self.n_down):
            h = self.trans_ups[i](h, skips[self.n_down - 1 - i])
            stage = self.n_down + 1 + i
            h = self.u_blocks[stage](h)
            feats[stage] = h
        out = self.final_cls(h)
        if self.init_stride != (1, 1, 1):
            out = F.interpolate(out, scale_factor=self.init_stride, mode="trilinear",
                                align_corners=False)
        if self.deep_supervision and self.training:
            aux = [self._up_to(a(feats[i]), out.shape[2:]) for a, i in zip(self.aux, self.aux_idx)]
            return aux + [out]
        return out


def randomize_norm_stats(model, seed=0):
    """Give BN/IN layers non-trivial affine params and running stats (for folding tests)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm3d, nn.InstanceNorm3d)):
                if m.weight is not None:
                    m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                    m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                if getattr(m, "running_mean", None) is not None:
                    m.running_mean.copy_(0.3 * torch.randn(m.running_mean.shape, generator=g))
                    m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
