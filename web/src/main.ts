import './style.css';
import { start } from './app';

const root = document.getElementById('app');
if (root) void start(root);
